export { main, buildProgram, resolveLogLevel, type GlobalOptions } from './program.js';
