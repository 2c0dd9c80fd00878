export { main, buildProgram, type GlobalOptions } from './program.js';
