/**
 * A TCP proxy in front of a service (DynamoDB Local in the fault tests) that can make the
 * service unreachable for a while: it stops listening, so new connections are refused by the
 * operating system, and cuts the open ones mid-flight; then it listens on the same port again.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** `http://127.0.0.1:<port>`: give it to clients instead of the service's own address. */
  url: string;
  /** Refuses and cuts connections for `ms`, then forwards again; resolves once it forwards again. */
  outage(ms: number): Promise<void>;
  /** Connections refused or cut so far (each outage cuts whatever was open). */
  cut(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string, host = "127.0.0.1"): Promise<TcpProxy> {
  const { hostname, port: targetPort } = new URL(target);
  const open = new Set<Socket>();
  let cutCount = 0;

  const handle = (client: Socket) => {
    const upstream = createConnection({ host: hostname, port: Number(targetPort) });
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, host }, () => {
        server.off("error", reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const stopListening = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

  let server = createServer(handle);
  const port = await listen(server, 0);

  const cutAll = () => {
    cutCount += open.size / 2;
    for (const socket of open) socket.destroy();
    open.clear();
  };

  return {
    url: `http://${host}:${port}`,
    cut: () => cutCount,
    async outage(ms) {
      const closed = stopListening(server);
      cutAll();
      await closed;
      await new Promise((resolve) => setTimeout(resolve, ms));
      server = createServer(handle);
      await listen(server, port);
    },
    async close() {
      const closed = stopListening(server);
      cutAll();
      await closed;
    },
  };
}
