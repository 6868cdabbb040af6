#!/usr/bin/env node
// SPDX-License-Identifier: BSD-2-Clause
// Entry point of the simulated FreeBSD sysctl(8) for the Linux test host; the behaviour lives in
// cmd/sysctl.ts.

import { runSysctl } from './cmd/sysctl.js';
import { runTool } from './state/io.js';

runTool('sysctl', (argv, io) => runSysctl(argv, io));
