// Node, as a user writes it after `npm install @ved/backend-node` (docs/install.md).
import { pipeline } from '@ved/backend-node';
import { defaultModelExample } from '@ved/default-model';

const captioner = await pipeline('image-to-text');
console.log(JSON.stringify(await captioner(defaultModelExample)));
await captioner.dispose();
