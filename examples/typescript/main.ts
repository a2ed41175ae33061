// Entry point of `cdk8s synth` (see cdk8s.yaml): renders the example app into dist/.
import { App } from 'cdk8s';
import { buildExample } from './example';

const app = new App();
buildExample(app);
app.synth();
