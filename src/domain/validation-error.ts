// A request that breaks a documented rule: 400 InvalidArgument, its message always naming the offending
// field by its XML path (for example Request.Operation.ConcatTemplate.Video.Width).
import { CiFailure } from './errors.js';

export class ValidationError extends CiFailure {
  declare readonly field: string;

  constructor(field: string, problem: string) {
    super('InvalidArgument', `${field}: ${problem}`, field);
  }
}
