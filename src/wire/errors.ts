import { Ns3tsError } from '../util/index.js';

/** A frame that does not decode as the message the protocol expects at this point. */
export class WireError extends Ns3tsError {
  override readonly name = 'WireError';
}
