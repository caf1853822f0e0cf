// The request id every answer carries (X-Request-Id, and `requestId` in error bodies): the
// caller's own when it sent a plain token, so a trace crosses our logs, else a new one. It
// is echoed in headers, bodies and logs, where markup, quotes or control characters have no
// place (an audit had `<script>` echoed back as it came).
import { randomUUID } from 'node:crypto';

const plainId = /^[A-Za-z0-9._:/+=@-]{1,128}$/;

export function requestIdOf(header: string | undefined): string {
  return header !== undefined && plainId.test(header) ? header : randomUUID();
}
