// A request that breaks a documented rule. The API turns it into 400 InvalidArgument; the message always
// names the offending field by its XML path (for example Request.Operation.ConcatTemplate.Video.Width).

export class ValidationError extends Error {
  readonly field: string;

  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'ValidationError';
    this.field = field;
  }
}
