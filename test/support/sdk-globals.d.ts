// The generated SDK (sdk/typescript) is written against the DOM's fetch types; Node's own types declare
// the same globals but for `BodyInit`, which the repository's tsc (no DOM lib) then lacks.
type BodyInit = import('undici-types').BodyInit;
