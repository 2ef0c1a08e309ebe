import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HubServices } from '../server/context.js';

/** `GET /verification/<reference>.html|.pdf` and `/verification/batches/<id>.csv` (filled in below). */
export async function serveVerificationRoute(_hub: HubServices, _req: IncomingMessage, res: ServerResponse, _route: string): Promise<void> {
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"status":"not found"}');
}
