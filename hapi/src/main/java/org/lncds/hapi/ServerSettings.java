package org.lncds.hapi;

import java.util.Locale;

/**
 * Run-time settings of the test server, read from JVM system properties
 * ({@code -Dlncds.hapi.NAME=VALUE}). {@code scripts/hapi-server} passes them through.
 *
 * <ul>
 *   <li>{@code lncds.hapi.host}: address to bind (default {@code 127.0.0.1})
 *   <li>{@code lncds.hapi.port}: TCP port (default {@code 8089})
 *   <li>{@code lncds.hapi.path}: servlet path of the FHIR base (default {@code /fhir})
 *   <li>{@code lncds.hapi.defaultPageSize}: page size when a search has no {@code _count} (default 20)
 *   <li>{@code lncds.hapi.maxPageSize}: largest {@code _count} honoured (default 500)
 *   <li>{@code lncds.hapi.dbPoolSize}: JDBC connection pool size (default 10)
 *   <li>{@code lncds.hapi.requestLog}: log one line per request (default true)
 * </ul>
 */
public record ServerSettings(
		String host,
		int port,
		String basePath,
		int defaultPageSize,
		int maxPageSize,
		int dbPoolSize,
		boolean requestLog) {

	private static final String PREFIX = "lncds.hapi.";

	/** Validates the values. */
	public ServerSettings {
		if (port < 0 || port > 65535) {
			throw new IllegalArgumentException("port out of range: " + port);
		}
		if (!basePath.startsWith("/") || basePath.endsWith("/") || basePath.contains("*")) {
			throw new IllegalArgumentException("path must look like /fhir: " + basePath);
		}
		if (defaultPageSize < 1 || maxPageSize < defaultPageSize) {
			throw new IllegalArgumentException(
					"need 1 <= defaultPageSize <= maxPageSize, got " + defaultPageSize + " / " + maxPageSize);
		}
		if (dbPoolSize < 2) {
			throw new IllegalArgumentException("dbPoolSize must be >= 2: " + dbPoolSize);
		}
	}

	/** Reads the settings from system properties, with defaults. */
	public static ServerSettings fromSystemProperties() {
		return new ServerSettings(
				str("host", "127.0.0.1"),
				integer("port", 8089),
				str("path", "/fhir"),
				integer("defaultPageSize", 20),
				integer("maxPageSize", 500),
				integer("dbPoolSize", 10),
				bool("requestLog", true));
	}

	/** The FHIR base URL clients should use, e.g. {@code http://127.0.0.1:8089/fhir}. */
	public String baseUrl(int actualPort) {
		String h = host.contains(":") ? "[" + host + "]" : host;
		return "http://" + h + ":" + actualPort + basePath;
	}

	private static String str(String name, String dflt) {
		String v = System.getProperty(PREFIX + name);
		return v == null || v.isBlank() ? dflt : v.trim();
	}

	private static int integer(String name, int dflt) {
		String v = str(name, Integer.toString(dflt));
		try {
			return Integer.parseInt(v);
		} catch (NumberFormatException e) {
			throw new IllegalArgumentException(PREFIX + name + " is not an integer: " + v, e);
		}
	}

	private static boolean bool(String name, boolean dflt) {
		String v = str(name, Boolean.toString(dflt)).toLowerCase(Locale.ROOT);
		return switch (v) {
			case "true", "1", "yes", "on" -> true;
			case "false", "0", "no", "off" -> false;
			default -> throw new IllegalArgumentException(PREFIX + name + " is not a boolean: " + v);
		};
	}
}
