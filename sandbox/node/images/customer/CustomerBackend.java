// The customer backend of lab 003 (state-labs.local/customer-backend), standing in for the
// students' Java image: customers kept in the lab's PostgreSQL, on port 8080, with nothing but
// the JDK's own HTTP server and Debian's PostgreSQL JDBC driver (libpostgresql-jdbc-java).
//
// Env: POSTGRES_URL (as the seed gives it, `customer-db:5432/customer`, or a full jdbc: URL),
// POSTGRES_USER, POSTGRES_PASSWORD (the lab's Secret `db-pass`), PORT (default 8080).
// Routes: GET /customers, POST /customers {"name": "...", "email": "..."}, GET /healthz.
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

public final class CustomerBackend {
    public record Customer(long id, String name, String email) {
        String toJson() {
            return "{\"id\":" + id + ",\"name\":" + Json.quote(name) + ",\"email\":" + (email == null ? "null" : Json.quote(email)) + "}";
        }
    }

    /** Where customers live: PostgreSQL here, a list in the tests. */
    public interface Customers {
        List<Customer> list() throws SQLException;

        Customer add(String name, String email) throws SQLException;
    }

    /** PostgreSQL through JDBC: a connection per request, so a restarted database or a rotated password needs no restart here. */
    public static final class JdbcCustomers implements Customers {
        private final String url;
        private final String user;
        private final String password;
        private volatile boolean schemaReady;

        public JdbcCustomers(String url, String user, String password) {
            this.url = url;
            this.user = user;
            this.password = password;
        }

        /** The seed's POSTGRES_URL is host:port/database; JDBC wants jdbc:postgresql://host:port/database. */
        public static String jdbcUrl(String postgresUrl) {
            return postgresUrl.startsWith("jdbc:") ? postgresUrl : "jdbc:postgresql://" + postgresUrl.replaceFirst("^postgres(ql)?://", "");
        }

        private Connection connect() throws SQLException {
            Connection c = DriverManager.getConnection(url, user, password);
            if (!schemaReady) {
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE IF NOT EXISTS customers (id bigserial PRIMARY KEY, name text NOT NULL, email text)");
                }
                schemaReady = true;
            }
            return c;
        }

        @Override
        public List<Customer> list() throws SQLException {
            try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT id, name, email FROM customers ORDER BY id")) {
                List<Customer> out = new ArrayList<>();
                while (r.next()) out.add(new Customer(r.getLong(1), r.getString(2), r.getString(3)));
                return out;
            } catch (SQLException e) {
                if ("42P01".equals(e.getSQLState())) schemaReady = false; // the table went (a reset database): create it next time
                throw e;
            }
        }

        @Override
        public Customer add(String name, String email) throws SQLException {
            try (Connection c = connect(); PreparedStatement s = c.prepareStatement("INSERT INTO customers (name, email) VALUES (?, ?) RETURNING id")) {
                s.setString(1, name);
                s.setString(2, email);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    return new Customer(r.getLong(1), name, email);
                }
            } catch (SQLException e) {
                if ("42P01".equals(e.getSQLState())) schemaReady = false;
                throw e;
            }
        }
    }

    /** The routes, on any store. */
    public static HttpServer server(Customers customers, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/healthz", ex -> send(ex, 200, "text/plain", "ok"));
        server.createContext("/customers", ex -> {
            try {
                if (!ex.getRequestURI().getPath().equals("/customers")) {
                    send(ex, 404, "application/json", "{\"error\":\"not found\"}");
                } else if (ex.getRequestMethod().equals("GET")) {
                    StringBuilder b = new StringBuilder("[");
                    for (Customer c : customers.list()) b.append(b.length() > 1 ? "," : "").append(c.toJson());
                    send(ex, 200, "application/json", b.append("]").toString());
                } else if (ex.getRequestMethod().equals("POST")) {
                    Map<String, String> body = Json.parseFlatObject(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                    String name = body == null ? null : body.get("name");
                    if (name == null || name.isBlank()) {
                        send(ex, 400, "application/json", "{\"error\":\"expected a JSON object with a non-empty \\\"name\\\"\"}");
                    } else {
                        send(ex, 201, "application/json", customers.add(name.strip(), body.get("email")).toJson());
                    }
                } else {
                    send(ex, 405, "application/json", "{\"error\":\"GET or POST\"}");
                }
            } catch (SQLException e) {
                // the database is down or refuses the login: say so, and in the log
                System.err.println("database: " + e.getMessage());
                send(ex, 503, "application/json", "{\"error\":" + Json.quote("database: " + e.getMessage()) + "}");
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(4));
        return server;
    }

    static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Just enough JSON for this API: strings out, one flat object of strings (or null) in. */
    static final class Json {
        static String quote(String s) {
            StringBuilder b = new StringBuilder("\"");
            for (char ch : s.toCharArray()) {
                switch (ch) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    default -> b.append(ch < 0x20 ? String.format("\\u%04x", (int) ch) : String.valueOf(ch));
                }
            }
            return b.append('"').toString();
        }

        /** {"k": "v", "k2": null}; null for anything else. */
        static Map<String, String> parseFlatObject(String text) {
            Map<String, String> out = new LinkedHashMap<>();
            int[] i = {skip(text, 0)};
            if (i[0] >= text.length() || text.charAt(i[0]) != '{') return null;
            i[0] = skip(text, i[0] + 1);
            if (i[0] < text.length() && text.charAt(i[0]) == '}') return skip(text, i[0] + 1) == text.length() ? out : null;
            while (true) {
                String key = string(text, i);
                if (key == null) return null;
                i[0] = skip(text, i[0]);
                if (i[0] >= text.length() || text.charAt(i[0]) != ':') return null;
                i[0] = skip(text, i[0] + 1);
                String value;
                if (text.startsWith("null", i[0])) {
                    value = null;
                    i[0] += 4;
                } else if ((value = string(text, i)) == null) {
                    return null;
                }
                out.put(key, value);
                i[0] = skip(text, i[0]);
                if (i[0] >= text.length()) return null;
                char ch = text.charAt(i[0]);
                i[0] = skip(text, i[0] + 1);
                if (ch == '}') return i[0] == text.length() ? out : null;
                if (ch != ',') return null;
            }
        }

        private static int skip(String t, int i) {
            while (i < t.length() && Character.isWhitespace(t.charAt(i))) i++;
            return i;
        }

        private static String string(String t, int[] i) {
            if (i[0] >= t.length() || t.charAt(i[0]) != '"') return null;
            StringBuilder b = new StringBuilder();
            for (int j = i[0] + 1; j < t.length(); j++) {
                char ch = t.charAt(j);
                if (ch == '"') {
                    i[0] = j + 1;
                    return b.toString();
                }
                if (ch != '\\') {
                    b.append(ch);
                    continue;
                }
                if (++j >= t.length()) return null;
                char e = t.charAt(j);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> {
                        if (j + 4 >= t.length()) return null;
                        try {
                            b.append((char) Integer.parseInt(t.substring(j + 1, j + 5), 16));
                        } catch (NumberFormatException x) {
                            return null;
                        }
                        j += 4;
                    }
                    default -> {
                        return null;
                    }
                }
            }
            return null;
        }
    }

    public static void main(String[] args) throws IOException {
        String url = System.getenv("POSTGRES_URL");
        if (url == null || url.isBlank()) {
            System.err.println("POSTGRES_URL is not set (host:port/database, as customer-db:5432/customer)");
            System.exit(2);
        }
        String user = System.getenv().getOrDefault("POSTGRES_USER", "postgres");
        String password = System.getenv().getOrDefault("POSTGRES_PASSWORD", "");
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        String jdbc = JdbcCustomers.jdbcUrl(url);
        server(new JdbcCustomers(jdbc, user, password), port).start();
        System.out.println("customer-backend: listening on :" + port + ", database " + jdbc + " as " + user);
    }
}
