export const DOCTOR_HELP = `Usage: nestjs-gateway-auth doctor [<token> | -] [flags]

Checks a gateway token the way a service using GatewayAuthModule would: the module's own guard
gives the verdict, and each check shows what it found and, when it fails, what to change.
The token, its signature and key files are never printed.

Token (one of):
  <token>, --token <jwt>      the JWT itself (it stays in your shell history)
  --token-file <path>         a file holding it
  -, or nothing               standard input (e.g. pbpaste | nestjs-gateway-auth doctor -)

Settings (the module options; flags override --config):
  --config <file.json>        module options as JSON; PEM options hold PEM text or a file path
                              (relative to the config file)
  --jwks-uri <url>            jwksUri
  --issuer <iss>              issuer (repeat for several)
  --issuer-ca <pem file>      issuer: { fromCertificate: { ca } } (pin to the key's x5c)
  --audience-base <url>       audience.baseUrl: the required aud is it + the route's path
  --audience <value>          audience.value, a fixed aud (repeat for several)
  --algorithms <list>         algorithms, e.g. RS256,ES256 (default RS256,ES256)
  --clock-tolerance <s>       clockToleranceSeconds (default 30)
  --token-header <name>       tokenHeader (default: Authorization: Bearer)
  --subject-format <format>   subjectFormat: rfc4514 (default), openssl or opaque
  --jwks-ca <pem file>        jwks.ca (repeat for several)
  --jwks-cert <pem file>      jwks.cert
  --jwks-key <pem file>       jwks.key

Request:
  --route '<METHOD> <path>'   the request the token comes with (default 'GET /'): the path
                              as the service receives it, e.g. 'GET /orders/42'

Output:
  --json                      one JSON object: { verdict, code?, checks: [...], ... }
  -h, --help                  this help

Exit codes: 0 the token would be accepted, 1 it would be refused, 2 usage error.

Example:
  nestjs-gateway-auth doctor --token-file token.txt \\
    --jwks-uri https://gateway.example.com/.well-known/jwks.json \\
    --issuer 'CN=Gateway Signing,O=Example' \\
    --audience-base https://api.example.com --route 'GET /orders/42'
`;

export const MAIN_HELP = `Usage: nestjs-gateway-auth <command> [flags]

Commands:
  doctor        why would my service accept or refuse this gateway token?
                (nestjs-gateway-auth doctor --help)

Flags:
  -h, --help    this help
  -v, --version the version of nestjs-gateway-auth
`;
