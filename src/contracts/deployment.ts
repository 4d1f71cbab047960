/**
 * Worker Deployment Versioning's names: the deployment every worker of this service belongs to, and the rules a
 * build id follows (the server joins them as `<deployment>.<build id>`, so neither holds anything a shell or a URL
 * would mangle, and the deployment name no dot).
 */
export const DEFAULT_DEPLOYMENT_NAME = 'llm-conversation-service';
export const DEPLOYMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
export const BUILD_ID = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
export const BUILD_ID_RULE = 'letters, digits, and . _ + - after the first character only';
