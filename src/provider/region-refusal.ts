/**
 * A 403 that refuses the country or region requests come from (OpenAI's
 * `unsupported_country_region_territory`): the key is not at fault, and nothing says it is. Apart
 * from the classifier, which loads the SDK's errors, so that the stop line can read it cheaply.
 */

/** How the classified message of such a refusal begins. */
export const REGION_REFUSAL = 'the server does not serve the country or region the requests come from';

/** What a stop for such a refusal tells the user to check, live and --batch-api alike. */
export const REGION_ADVICE =
  'the API key is not the problem: check the network the requests leave by (a VPN, a proxy, the region of a cloud machine) and --base-url';

/**
 * A 403's code and message refuse where the request came from: OpenAI's code, or its wording from a
 * gateway that passes the message on without the code. (Not "not supported in this region": Azure says
 * so of a model its deployment's region lacks.)
 */
export function refusesRegion(code: string | undefined, message: string): boolean {
  return code === 'unsupported_country_region_territory' || /\bcountry, region,? or territory not supported\b/i.test(message);
}

/** True when `message` is a classified refusal of the requests' country or region. */
export function isRegionRefusal(message: string): boolean {
  return message.startsWith(REGION_REFUSAL);
}
