import type { CliConfig } from './config.js';
import { namingTheProxy, proxyNamedFor } from './proxy-env.js';
import { PROXY_ADVICE } from '../provider/classify-error.js';
import { BREAKER_THRESHOLD, GONE_MS, NO_RESPONSE, SILENCE_MS, STOPPED_ANSWERING, STOPPED_CONNECTING } from '../schedule/circuit-breaker.js';
import { OPENAI_V1 } from '../provider/openai-url.js';

/**
 * The one line shown when the circuit breaker stopped the run: what the first requests met, and
 * the setting most likely at fault. `message` is the engine's `<code>: <error message>`.
 */
export function diagnoseEndpoint(message: string, config: CliConfig, viaProxy: boolean): string {
  const code = message.slice(0, message.indexOf(':'));
  const detail = message.slice(message.indexOf(':') + 1).trim();
  if (code === STOPPED_ANSWERING) {
    const where = endpointUrl(config);
    return (
      `no request has had any response for ${SILENCE_MS / 60_000} minutes (every attempt timed out without response headers: ${detail}), so the run stopped rather than retry every prompt: ` +
      `${viaProxy ? `the proxy for ${where}` : where} answered earlier and went silent: is the server (or the proxy's backend) still up? Answered rows are kept`
    );
  }
  if (code === STOPPED_CONNECTING) {
    const where = endpointUrl(config);
    return (
      `every connection has been refused for ${GONE_MS / 1000} s, a retry included (${detail}), so the run stopped rather than fail every prompt: ` +
      `${viaProxy ? `the proxy for ${where}` : where} answered earlier and went away: did the server stop, or is it restarting? Answered rows are kept`
    );
  }
  const why =
    code === NO_RESPONSE
      ? noResponse(detail, config, viaProxy)
      : code === 'error_response'
        ? errorResponse(detail, config)
        : endpointTrouble(code, config, viaProxy, detail);
  return `the first requests all failed the same way, so the run stopped rather than ${config.retries === 0 ? 'fail' : 'retry'} every prompt: ${why}`;
}

/**
 * For the resume command of a run the breaker stopped because the server streams otherwise than
 * asked: the flag the rest needs (a resume as given would stop the same way).
 */
export function streamRemedy(outcome: { stopped?: string; message?: string }): { addFlag?: string; dropFlag?: string } {
  if (outcome.stopped !== 'unreachable' || outcome.message === undefined) return {};
  const code = outcome.message.slice(0, outcome.message.indexOf(':'));
  if (code === 'not_streamed') return { addFlag: '--no-stream' };
  if (code === 'streamed_anyway') return { dropFlag: '--no-stream' };
  return {};
}

/**
 * A server that takes connections and never answers (a black-holed port-forward, a proxy whose
 * backend is gone). The setting to lengthen is the deadline that fired, which `detail` names: the
 * idle timeout's `(--idle-timeout)`, or `--timeout` when that is the shorter.
 */
function noResponse(detail: string, config: CliConfig, viaProxy: boolean): string {
  const url = endpointUrl(config);
  const deadline = /--timeout\b/.test(detail) ? '--timeout' : '--idle-timeout';
  // --retries 0 made no retry: requests sent after the first timeout timed out too (circuit-breaker.ts).
  const evidence = config.retries === 0 ? `${BREAKER_THRESHOLD} requests sent after the first timeout included` : 'a retry included';
  return (
    `${viaProxy ? `the proxy for ${url}` : url} accepts connections but sent no response, ${evidence} (${detail}): ` +
    `is the server (or the proxy's backend) up, and is the port in --base-url the API's? A model still loading may need a longer ${deadline}`
  );
}

/**
 * A server that answers 200 with an error in place of every answer, in its own words (`detail`,
 * the row's `server error in body: …`): LM Studio answers so on a path it does not serve.
 */
function errorResponse(detail: string, config: CliConfig): string {
  const said = detail.replace(/^server error in body: /, '');
  return `${endpointUrl(config)} answers 200 with an error instead of an answer ("${said}"): check --base-url (a server may answer so on a path it does not serve; OpenAI-compatible servers usually want it to end in /v1)`;
}

/**
 * What an endpoint-level failure `code` most likely means, naming the setting to check (--base-url,
 * a proxy variable); `detail` is the failure's message.
 */
export function endpointTrouble(code: string, config: CliConfig, viaProxy: boolean, detail = ''): string {
  const url = endpointUrl(config);
  const where = viaProxy ? `the proxy for ${url}` : url;
  // Through a proxy, connecting, resolving and routing are to the proxy: its variable is to check.
  const proxy = viaProxy ? proxyTrouble(code, url) : undefined;
  return (() => {
    if (proxy !== undefined) return proxy;
    switch (code) {
      case 'ECONNREFUSED':
        return `nothing is listening at ${where} (connection refused): is the server running, and is the port in --base-url right?`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `the host of ${where} cannot be resolved (${code}): check --base-url (or the network's DNS)`;
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return `${where} cannot be reached (${code}): check the network and --base-url`;
      case 'ERR_SSL_WRONG_VERSION_NUMBER':
        return `${where} does not answer in TLS (${code}): if the server speaks plain HTTP, --base-url starts with http://`;
      case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      case 'UNABLE_TO_GET_ISSUER_CERT':
        return `the certificate of ${where} is issued by a CA this machine does not trust (${code}): for your organisation's own CA, point NODE_EXTRA_CA_CERTS at its certificate`;
      case 'html_response':
        return `${url} answers with an HTML page, not the API: check --base-url (OpenAI-compatible servers usually want it to end in /v1)`;
      case 'empty_response':
        return `${url} answers ${emptyStatus(detail)} with an empty body: check --base-url`;
      case 'not_streamed':
        return `${url} ignores "stream": true and sends whole JSON answers: pass --no-stream`;
      case 'streamed_anyway':
        return `${url} streams its answers even when "stream": false is asked: drop --no-stream`;
      case 'encoded_response':
        return `${url} sends its answers compressed in a way llm-batch cannot read (${detail}): a proxy or gateway in front of it may be compressing them; reach the server without it`;
      default:
        return `${where}: TLS/connection problem (${code}): check --base-url and the server's certificate`;
    }
  })();
}

/** The status an empty body came with: a 204 or 205 is named in its message (see noContent), a 200 is not. */
const emptyStatus = (detail: string): string => /\bHTTP (20[45])\b/.exec(detail)?.[1] ?? '200';

/** A proxy's refusal (407, a refused tunnel) as the run's stop line, naming the proxy and its variable. */
export function proxyStopLine(message: string, config: CliConfig): string {
  return `${namingTheProxy(message, endpointUrl(config))}; ${PROXY_ADVICE}. Stopped before sending more.`;
}

/** What a connection-level failure through a proxy says, naming the proxy and its variable; undefined for others. */
function proxyTrouble(code: string, url: string): string | undefined {
  const named = proxyNamedFor(url);
  const proxy = named ? `the proxy ${named.shown}` : 'the proxy';
  const variable = named?.variable ?? 'HTTPS_PROXY / HTTP_PROXY';
  const direct = `list ${url === 'mock' ? 'the host' : new URL(url).hostname} in NO_PROXY to connect directly`;
  switch (code) {
    case 'ECONNREFUSED':
      return `nothing is listening at ${proxy} for ${url} (connection refused): is the proxy running, and is ${variable} right? (or ${direct})`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host of ${proxy} for ${url} cannot be resolved (${code}): check ${variable} (or ${direct})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${proxy} for ${url} cannot be reached (${code}): check the network and ${variable} (or ${direct})`;
    default:
      return undefined;
  }
}

/** The server a run asks, as the diagnoses name it. */
const endpointUrl = (config: CliConfig): string => (config.provider.kind === 'openai' ? (config.provider.baseURL ?? OPENAI_V1) : 'mock');
