import type { Logger } from './logger';

/** The switch the AWS SDK reads before it prints its Node-version notice (@aws-sdk/core, client submodule). */
const SDK_NOTICE_OFF = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/** The oldest Node the AWS SDK's own notice stays quiet on. */
const SDK_PREFERRED_NODE_MAJOR = 22;

/**
 * On Node < 22 the AWS SDK prints a multi-line `NodeVersionSupportWarning` through process.emitWarning,
 * straight to stderr, before gapwatch's own output, and once per module registry (every jest test file,
 * every spawned CLI). It says something true — SDK versions published from January 2027 need Node 22 —
 * that gapwatch, pinning its SDK versions, does not yet feel. So it is said once per process as one of
 * gapwatch's log lines (info: the service shows it, the CLI's warn level keeps a CI log to the report),
 * and the SDK's own print is switched off. An operator who set the switch already hears nothing.
 */
export function adoptSdkNodeNotice(logger: Logger, version: string = process.version): void {
  if (process.env[SDK_NOTICE_OFF] !== undefined) return;
  process.env[SDK_NOTICE_OFF] = 'true';
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  if (major < SDK_PREFERRED_NODE_MAJOR) {
    logger.info(
      { node: version },
      `running on Node ${version}: supported; AWS SDK for JavaScript versions published from January 2027 will need Node ${SDK_PREFERRED_NODE_MAJOR} or newer (gapwatch pins versions that run on ${version})`,
    );
  }
}
