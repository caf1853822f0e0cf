// Reading a JSON body with the errors API.md promises: 415 for another media type,
// 400 for malformed JSON, never a 500.
import type { Context } from 'hono';
import { HttpError } from './errors.ts';

export async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'unsupported_media_type', 'send Content-Type: application/json');
  const text = await c.req.text();
  if (text.trim() === '') throw new HttpError(400, 'invalid_request', 'the body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'malformed_json', 'the body is not valid JSON');
  }
}
