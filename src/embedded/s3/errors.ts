/**
 * S3's errors as S3 sends them: an HTTP status and an XML `<Error>` document with `Code`, `Message`, the
 * request id and members naming what was asked for (`Key`, `BucketName`, …); a HEAD answer has the status
 * alone, as HEAD responses carry no body. The SDKs take the error's name from `Code` (and from the status
 * for HEAD: 404 is `NotFound`).
 */
import { xmlEscape } from './xml';

export class S3Error extends Error {
  override name = 'S3Error';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    /** Further members of `<Error>`, in order (`Key`, `BucketName`, `Method`, …). */
    readonly members: Record<string, string> = {},
  ) {
    super(message);
  }

  xml(requestId: string): string {
    const extra = Object.entries(this.members)
      .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
      .join('');
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${xmlEscape(this.code)}</Code><Message>${xmlEscape(this.message)}</Message>${extra}` +
      `<RequestId>${requestId}</RequestId><HostId>${hostId(requestId)}</HostId></Error>`
    );
  }
}

/** S3's second request id (`x-amz-id-2`, `<HostId>`); here derived from the first, so the pair is stable. */
export function hostId(requestId: string): string {
  return Buffer.from(requestId).toString('base64');
}

export const noSuchKey = (key: string): S3Error => new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });

export const noSuchBucket = (bucket: string): S3Error =>
  new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });

export const invalidArgument = (message: string, name: string, value: string): S3Error =>
  new S3Error('InvalidArgument', message, 400, { ArgumentName: name, ArgumentValue: value.slice(0, 1024) });

/**
 * Errors the endpoint can be told to answer (EmbeddedEndpoint.injectFaults), with S3's status and wording
 * for each: throttling, and the refusals a reader of Athena's results meets on AWS (no permission, a result
 * that is gone or in a bucket that is not there, another region's bucket, an object encrypted with a key the
 * caller does not hold).
 */
export const S3_FAULTS: Readonly<Record<string, { status: number; message: string }>> = {
  SlowDown: { status: 503, message: 'Please reduce your request rate.' },
  AccessDenied: { status: 403, message: 'Access Denied' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist' },
  PermanentRedirect: {
    status: 301,
    message: 'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
  },
  InvalidRequest: {
    status: 400,
    message: 'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
  },
  'KMS.AccessDeniedException': { status: 403, message: 'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
};
