#!/usr/bin/env node
/**
 * The `vault-registry-auth` command. Each command is one file under src/cli/
 * exporting a RegisterCommand (see src/cli/program.ts); adding a command is
 * that file and one line in this list.
 */
import { registerCerts } from './cli/certs.js';
import { registerExplain } from './cli/explain.js';
import { registerGroup } from './cli/group.js';
import { registerKeys } from './cli/keys.js';
import { runCli } from './cli/program.js';
import { registerServe } from './cli/serve.js';
import { registerUser } from './cli/user.js';

process.exitCode = await runCli(process.argv.slice(2), [registerServe, registerUser, registerGroup, registerExplain, registerKeys, registerCerts]);
