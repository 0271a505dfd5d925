/** The proxy settings from the environment: in provider/, where the library exports them from too. */
export { namingTheProxy, proxyFromEnv, proxyNamedFor, type ProxySettings } from '../provider/proxy-env.js';
