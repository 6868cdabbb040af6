#!/usr/bin/env node
// SPDX-License-Identifier: BSD-2-Clause
// Entry point of the simulated FreeBSD umount(8) for the Linux test host; the behaviour lives in
// cmd/mount.ts.

import { runUmount } from './cmd/mount.js';
import { runTool } from './state/io.js';

runTool('umount', (argv, io) => runUmount(argv, io));
