export { conversationWorkflow } from '../conversation/workflows/conversation';
export { campaignWorkflow } from '../campaign/workflows/campaign';
export { cloudBatchWorkflow } from '../campaign/workflows/batcher';
