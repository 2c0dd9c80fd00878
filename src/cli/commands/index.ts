import type { Command } from 'commander';

/**
 * Every CLI command lives in its own file in this folder and exports `register(program)`.
 * The order here is the order `ns3ts --help` lists them.
 */
export type RegisterCommand = (program: Command) => void;

export const commandRegistrations: RegisterCommand[] = [];
