// Tests of CustomerBackend, run by sandbox/node/images.sh with the image's own JRE: the routes
// over real HTTP on a loopback port, against customers kept in a list (no database here), and
// the JDBC driver that the image's class path must carry. No test framework: plain asserts.
//
//   java -cp <classes> CustomerBackendTest [--driver]
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

public final class CustomerBackendTest {
    static final class ListCustomers implements CustomerBackend.Customers {
        final List<CustomerBackend.Customer> rows = new ArrayList<>();
        boolean down;

        public List<CustomerBackend.Customer> list() throws SQLException {
            if (down) throw new SQLException("connection refused", "08001");
            return List.copyOf(rows);
        }

        public CustomerBackend.Customer add(String name, String email) throws SQLException {
            if (down) throw new SQLException("connection refused", "08001");
            CustomerBackend.Customer c = new CustomerBackend.Customer(rows.size() + 1, name, email);
            rows.add(c);
            return c;
        }
    }

    static int failures;

    static void check(boolean ok, String what) {
        System.out.println((ok ? "ok   " : "FAIL ") + what);
        if (!ok) failures++;
    }

    public static void main(String[] args) throws Exception {
        ListCustomers store = new ListCustomers();
        var server = CustomerBackend.server(store, 0);
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        HttpClient http = HttpClient.newHttpClient();
        try {
            var get = http.send(HttpRequest.newBuilder(URI.create(base + "/customers")).build(), HttpResponse.BodyHandlers.ofString());
            check(get.statusCode() == 200 && get.body().equals("[]"), "GET /customers lists none at first: " + get.body());

            var post = http.send(HttpRequest.newBuilder(URI.create(base + "/customers")).POST(HttpRequest.BodyPublishers.ofString("{\"name\": \" Ada \\\"L\\\" \", \"email\": \"ada@example.org\"}")).build(), HttpResponse.BodyHandlers.ofString());
            check(post.statusCode() == 201, "POST /customers inserts: " + post.statusCode() + " " + post.body());
            check(post.body().equals("{\"id\":1,\"name\":\"Ada \\\"L\\\"\",\"email\":\"ada@example.org\"}"), "the customer comes back as JSON: " + post.body());

            get = http.send(HttpRequest.newBuilder(URI.create(base + "/customers")).build(), HttpResponse.BodyHandlers.ofString());
            check(get.body().equals("[" + post.body() + "]"), "and is listed: " + get.body());

            for (String bad : new String[] {"{\"email\": \"x@y\"}", "{\"name\": \"  \"}", "not json", "{\"name\": \"a\",}", "[]"}) {
                var r = http.send(HttpRequest.newBuilder(URI.create(base + "/customers")).POST(HttpRequest.BodyPublishers.ofString(bad)).build(), HttpResponse.BodyHandlers.ofString());
                check(r.statusCode() == 400, "refuses " + bad + ": " + r.statusCode());
            }
            check(store.rows.size() == 1, "nothing stored from bad input");

            store.down = true;
            var down = http.send(HttpRequest.newBuilder(URI.create(base + "/customers")).build(), HttpResponse.BodyHandlers.ofString());
            check(down.statusCode() == 503 && down.body().contains("connection refused"), "a database that is down is a 503 with the reason: " + down.body());
            store.down = false;

            var health = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
            check(health.statusCode() == 200, "GET /healthz");
            var other = http.send(HttpRequest.newBuilder(URI.create(base + "/customers/1")).build(), HttpResponse.BodyHandlers.ofString());
            check(other.statusCode() == 404, "GET /customers/1 is not a route: " + other.statusCode());
        } finally {
            server.stop(0);
        }

        check(CustomerBackend.JdbcCustomers.jdbcUrl("customer-db:5432/customer").equals("jdbc:postgresql://customer-db:5432/customer"), "the seed's POSTGRES_URL becomes a JDBC URL");
        check(CustomerBackend.JdbcCustomers.jdbcUrl("jdbc:postgresql://h/db").equals("jdbc:postgresql://h/db"), "a JDBC URL is kept");
        check(CustomerBackend.JdbcCustomers.jdbcUrl("postgresql://h:5432/db").equals("jdbc:postgresql://h:5432/db"), "a postgresql:// URL is turned into one");
        check(Map.of("a", "\u00e9\n").equals(CustomerBackend.Json.parseFlatObject("{\"a\":\"\\u00e9\\n\"}")), "JSON escapes");

        if (List.of(args).contains("--driver")) {
            // the image's class path: DriverManager must find Debian's driver for jdbc:postgresql URLs
            check(java.sql.DriverManager.getDriver("jdbc:postgresql://customer-db:5432/customer").getClass().getName().equals("org.postgresql.Driver"), "the PostgreSQL JDBC driver is on the class path");
        }
        System.out.println(failures > 0 ? failures + " failed" : "all passed");
        System.exit(failures > 0 ? 1 : 0); // the server's worker threads would keep the JVM up
    }
}
