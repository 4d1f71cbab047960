export { conversationWorkflow } from './conversation';
export { campaignWorkflow } from '../../campaign/workflows/campaign';
