#!/usr/bin/env node
// Runs the example app (examples/typescript/main.ts) for `cdk8s synth`, from the sources: a synth
// always reflects the current library and needs no build step (see register-ts.js).
'use strict';
const path = require('path');

require('./register-ts');
require(path.join(__dirname, '..', 'examples', 'typescript', 'main.ts'));
