/** Where requests go without --base-url (or OPENAI_BASE_URL): the SDK's own default. */
export const OPENAI_V1 = 'https://api.openai.com/v1';

/**
 * Azure's resource hosts: Azure OpenAI (`<name>.openai.azure.com`), the AI Services form
 * (`<name>.cognitiveservices.azure.com`) and a Foundry resource's (`<name>.services.ai.azure.com`),
 * all of which serve Azure OpenAI's API under /openai. One list for the token cap's name and the
 * base URL refusals, so a host one of them knows is not missed by the other.
 */
export function isAzureHost(hostname: string): boolean {
  return /\.(openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com)$/i.test(hostname);
}
