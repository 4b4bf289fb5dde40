/**
 * The access log (--access_log): one JSON line per call, whatever protocol it came by, and per HTTP request.
 *
 *   {"level":"info",...,"access":"rpc","service":"ml_metadata.MetadataStoreService","method":"PutArtifactType",
 *    "code":"OK","ms":0.82,"peer":"ipv4:127.0.0.1:50124","protocol":"grpc","request_bytes":31,"response_bytes":3,
 *    "msg":"ml_metadata.MetadataStoreService/PutArtifactType OK 0.82 ms"}
 *
 * Request values are never logged (they are user data); sizes are the encoded protobuf messages.
 */
import type { Logger } from '../logger';
import type { CallObserver } from './observe';
import { statusName } from './status';

const millis = (seconds: number): number => Math.round(seconds * 1e6) / 1e3;

export function accessLog(log: Logger): CallObserver {
  return {
    wantsSizes: true,
    callStarted({ service, method, context }) {
      return ({ code, seconds, requestBytes, responseBytes }) => {
        const ms = millis(seconds);
        const name = statusName(code);
        log.info(
          {
            access: 'rpc',
            service,
            method,
            code: name,
            ms,
            peer: context?.peer,
            protocol: context?.protocol,
            request_bytes: requestBytes,
            response_bytes: responseBytes,
          },
          `${service}/${method} ${name} ${ms} ms`,
        );
      };
    },
    httpExchange(e) {
      const ms = millis(e.seconds);
      log.info(
        {
          access: 'http',
          route: e.route,
          method: e.method,
          path: e.path,
          status: e.status,
          ms,
          peer: e.peer,
          request_bytes: e.requestBytes,
          response_bytes: e.responseBytes,
        },
        `${e.method} ${e.path} ${e.status} ${ms} ms`,
      );
    },
  };
}
