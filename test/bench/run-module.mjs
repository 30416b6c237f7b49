// Runs one exported benchmark function in this (child) process and sends its
// return value to the runner over IPC. argv: <file> <export> <json options>.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [file, name, opts] = process.argv.slice(2);
process.on('disconnect', () => process.exit(4));
const mod = await import(pathToFileURL(resolve(file)).href);
if (typeof mod[name] !== 'function') throw new Error(`${file} does not export ${name}()`);
const value = await mod[name](JSON.parse(opts));
// Values must survive JSON (IPC): drop what does not.
process.send({ value: value === undefined ? null : JSON.parse(JSON.stringify(value)) }, () => process.exit(0));
