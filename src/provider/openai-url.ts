/** Where requests go without --base-url (or OPENAI_BASE_URL): the SDK's own default. */
export const OPENAI_V1 = 'https://api.openai.com/v1';
