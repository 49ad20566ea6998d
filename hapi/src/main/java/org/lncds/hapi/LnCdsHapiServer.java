package org.lncds.hapi;

import ca.uhn.fhir.rest.server.RestfulServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;

/**
 * Entry point: builds the Spring context of {@link HapiJpaServerConfig}, mounts the HAPI
 * {@link RestfulServer} in an embedded Jetty at {@code <path>/*} and serves until the JVM
 * is told to stop (SIGTERM / SIGINT).
 *
 * <p>Settings come from system properties, see {@link ServerSettings}. When
 * {@code lncds.hapi.readyFile} is set, the base URL is written to that file once Jetty
 * listens (useful with port 0, which picks a free port).
 */
public final class LnCdsHapiServer {

	private static final Logger LOG = LoggerFactory.getLogger(LnCdsHapiServer.class);

	private LnCdsHapiServer() {}

	public static void main(String[] args) {
		long t0 = System.nanoTime();
		ServerSettings settings = ServerSettings.fromSystemProperties();
		AnnotationConfigApplicationContext spring = new AnnotationConfigApplicationContext();
		Server jetty = new Server();
		try {
			spring.registerBean(ServerSettings.class, () -> settings);
			spring.register(HapiJpaServerConfig.class);
			spring.refresh();

			ServerConnector connector = new ServerConnector(jetty);
			connector.setHost(settings.host());
			connector.setPort(settings.port());
			jetty.addConnector(connector);

			ServletContextHandler context = new ServletContextHandler();
			context.setContextPath("/");
			ServletHolder fhir = new ServletHolder("fhir", spring.getBean(RestfulServer.class));
			fhir.setInitOrder(1);
			context.addServlet(fhir, settings.basePath() + "/*");
			jetty.setHandler(context);
			jetty.start();

			String baseUrl = settings.baseUrl(connector.getLocalPort());
			Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown(jetty, spring), "lncds-hapi-shutdown"));
			LOG.info("LNCDS_HAPI_READY {} (started in {} ms)", baseUrl, (System.nanoTime() - t0) / 1_000_000);
			writeReadyFile(baseUrl);
			jetty.join();
		} catch (Throwable e) {
			LOG.error("LNCDS_HAPI_FAILED: {}", e.toString(), e);
			shutdown(jetty, spring);
			System.exit(1);
		}
	}

	private static void writeReadyFile(String baseUrl) throws IOException {
		String file = System.getProperty("lncds.hapi.readyFile");
		if (file == null || file.isBlank()) {
			return;
		}
		Path target = Path.of(file);
		Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
		Files.writeString(tmp, baseUrl + "\n", StandardCharsets.UTF_8);
		Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
	}

	private static void shutdown(Server jetty, AnnotationConfigApplicationContext spring) {
		try {
			if (jetty.isStarted() || jetty.isStarting()) {
				jetty.stop();
			}
		} catch (Exception e) {
			LOG.warn("error stopping Jetty: {}", e.toString());
		}
		try {
			if (spring.isActive()) {
				spring.close();
			}
		} catch (RuntimeException e) {
			LOG.warn("error closing Spring context: {}", e.toString());
		}
	}
}
