// asl-validator 4 ships no types; this is the part of its API the tests use.
declare module 'asl-validator' {
  interface Result {
    isValid: boolean;
    errors: { message: string }[];
    errorsText(separator?: string): string;
  }
  function validate(definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }): Result;
  export = validate;
}
