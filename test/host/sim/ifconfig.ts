#!/usr/bin/env node
// SPDX-License-Identifier: BSD-2-Clause
// Entry point of the simulated FreeBSD ifconfig(8) for the Linux test host; the behaviour lives in
// cmd/ifconfig.ts.

import { runIfconfig } from './cmd/ifconfig.js';
import { runTool } from './state/io.js';

runTool('ifconfig', (argv, io) => runIfconfig(argv, io, 0));
