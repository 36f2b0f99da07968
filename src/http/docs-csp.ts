/**
 * The Content-Security-Policy of the interactive docs: the policy @fastify/swagger-ui ships with
 * `staticCSP: true`, except that `upgrade-insecure-requests` is sent only to requests that came
 * over HTTPS. Browsers exempt only localhost from the upgrade, so over plain HTTP on any other
 * address (127.0.0.2, a LAN IP, a container name) it rewrote every asset to https:// and the page
 * stayed blank. Under TLS the directive stays, keeping mixed content out.
 */
export function docsContentSecurityPolicy(hashes: { script: string[]; style: string[] }, overHttps: boolean): string {
  const directives = [
    "default-src 'self'",
    "base-uri 'self'",
    "font-src 'self' https: data:",
    "frame-ancestors 'self'",
    // The UI is configured without the online validator badge, so its host is not needed.
    "img-src 'self' data:",
    "object-src 'none'",
    ['script-src', "'self'", ...hashes.script].join(' '),
    "script-src-attr 'none'",
    ['style-src', "'self'", 'https:', ...hashes.style].join(' '),
  ];
  if (overHttps) directives.push('upgrade-insecure-requests');
  return `${directives.join('; ')};`;
}
