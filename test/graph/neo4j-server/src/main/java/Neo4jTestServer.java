import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * A Neo4j 5.26 community DBMS for tests: Bolt on 127.0.0.1:PORT, no HTTP, no auth, data under HOME (kept across
 * restarts, so a test can stop and start the same database). Prints one line "ready bolt://127.0.0.1:PORT" when
 * it accepts connections; shuts down cleanly when stdin closes or on SIGTERM.
 *
 * Usage: java -cp 'lib/*:classes' Neo4jTestServer HOME PORT
 */
public final class Neo4jTestServer {
  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: Neo4jTestServer HOME PORT");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    int port = Integer.parseInt(args[1]);
    DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
        .setConfig(BoltConnector.enabled, true)
        .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
        .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
        .setConfig(HttpConnector.enabled, false)
        .setConfig(GraphDatabaseSettings.auth_enabled, false)
        .setConfig(GraphDatabaseSettings.pagecache_memory, 64L * 1024 * 1024)
        .setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout, Duration.ofSeconds(2))
        .build();
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      dbms.shutdown();
    }));
    System.out.println("ready bolt://127.0.0.1:" + port);
    System.out.flush();
    Thread stdin = new Thread(() -> {
      try (InputStream in = System.in) {
        while (in.read() >= 0) { }
      } catch (Exception ignored) {
      }
      stop.countDown();
    });
    stdin.setDaemon(true);
    stdin.start();
    stop.await();
    System.exit(0);
  }
}
