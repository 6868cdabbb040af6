#!/usr/bin/env node
// SPDX-License-Identifier: BSD-2-Clause
// Entry point of the simulated FreeBSD mount(8) for the Linux test host; the behaviour lives in
// cmd/mount.ts.

import { runMount } from './cmd/mount.js';
import { runTool } from './state/io.js';

runTool('mount', (argv, io) => runMount(argv, io));
