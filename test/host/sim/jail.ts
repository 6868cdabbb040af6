#!/usr/bin/env node
// SPDX-License-Identifier: BSD-2-Clause
// Entry point of the simulated FreeBSD jail(8) for the Linux test host; the behaviour lives in
// cmd/jail.ts.

import { runJail } from './cmd/jail.js';
import { runTool } from './state/io.js';

runTool('jail', (argv, io) => runJail(argv, io));
