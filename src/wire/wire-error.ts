// The failure a request body raises when it cannot be read as CI XML at all (empty, not well-formed,
// past a shape limit). It carries a CI Code like every other failure, so the API answers it as it is.
import { CiFailure, type CiErrorKey } from '../domain/errors.js';

export class WireError extends CiFailure {
  constructor(key: CiErrorKey, message: string) {
    super(key, message);
  }
}
