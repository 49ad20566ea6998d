package org.lncds.hapi;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.binary.api.IBinaryStorageSvc;
import ca.uhn.fhir.jpa.binstore.MemoryBinaryStorageSvcImpl;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.narrative2.NullNarrativeGenerator;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.IncomingRequestAddressStrategy;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.LoggingInterceptor;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import jakarta.persistence.EntityManagerFactory;
import java.util.Properties;
import javax.sql.DataSource;
import org.apache.commons.dbcp2.BasicDataSource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Meta;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

/**
 * Spring wiring of a HAPI FHIR R4 JPA server on an in-memory H2 database.
 *
 * <p>HAPI's own configuration classes supply the DAOs, resource providers, search,
 * paging, batch jobs and validation beans; this class adds what an application must
 * provide: the data source, the JPA entity manager factory and transaction manager,
 * the storage/partition/subscription settings and the {@link RestfulServer} itself.
 */
@Configuration
@Import({
	JpaR4Config.class,
	HapiJpaConfig.class,
	JpaBatch2Config.class,
	Batch2JobsConfig.class,
	// in-JVM message broker (LinkedBlockingQueue) needed by batch2 and subscriptions
	SubscriptionChannelConfig.class,
	ThreadPoolFactoryConfig.class
})
public class HapiJpaServerConfig {

	/** A fresh, private in-memory database per JVM; it lives until the JVM exits. */
	static final String JDBC_URL = "jdbc:h2:mem:lncds_hapi;DB_CLOSE_DELAY=-1";

	@Bean(destroyMethod = "close")
	public BasicDataSource dataSource(ServerSettings settings) {
		BasicDataSource ds = new BasicDataSource();
		ds.setDriverClassName("org.h2.Driver");
		ds.setUrl(JDBC_URL);
		ds.setUsername("sa");
		ds.setPassword("");
		ds.setMaxTotal(settings.dbPoolSize());
		ds.setMaxIdle(settings.dbPoolSize());
		return ds;
	}

	/**
	 * Storage behaviour. The choices that matter to tests:
	 * <ul>
	 *   <li>client-assigned ids of any form ({@code PUT Patient/ln-demo-01}, also purely numeric ones);
	 *       server-assigned ids (POST) are UUIDs so the two never collide;
	 *   <li>no reuse of cached search results: a search right after a write sees the write;
	 *   <li>expunge and multiple delete are allowed so tests can wipe the store between cases.
	 * </ul>
	 */
	@Bean
	public JpaStorageSettings jpaStorageSettings(ServerSettings settings) {
		JpaStorageSettings s = new JpaStorageSettings();
		s.setResourceClientIdStrategy(JpaStorageSettings.ClientIdStrategyEnum.ANY);
		s.setResourceServerIdStrategy(JpaStorageSettings.IdStrategyEnum.UUID);
		// null disables the "reuse an identical search run in the last N ms" cache.
		s.setReuseCachedSearchResultsForMillis(null);
		s.setAllowMultipleDelete(true);
		s.setExpungeEnabled(true);
		s.setDeleteExpungeEnabled(true);
		s.setAllowExternalReferences(true);
		// Hard cap on how many matches a single search may load (null = unlimited).
		s.setFetchSizeDefaultMaximum(null);
		return s;
	}

	@Bean
	public PartitionSettings partitionSettings() {
		return new PartitionSettings();
	}

	@Bean
	public SubscriptionSettings subscriptionSettings() {
		return new SubscriptionSettings();
	}

	@Bean
	public IBinaryStorageSvc binaryStorageSvc() {
		return new MemoryBinaryStorageSvcImpl();
	}

	@Bean
	@Primary
	public LocalContainerEntityManagerFactoryBean entityManagerFactory(
			ConfigurableListableBeanFactory beanFactory,
			FhirContext fhirContext,
			JpaStorageSettings storageSettings,
			DataSource dataSource) {
		LocalContainerEntityManagerFactoryBean emf =
				HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
		emf.setPersistenceUnitName("LNCDS_HAPI_PU");
		emf.setDataSource(dataSource);
		emf.setJpaProperties(hibernateProperties());
		return emf;
	}

	static Properties hibernateProperties() {
		Properties p = new Properties();
		p.put("hibernate.dialect", HapiFhirH2Dialect.class.getName());
		// Empty database every start: let Hibernate create the schema.
		p.put("hibernate.hbm2ddl.auto", "update");
		p.put("hibernate.show_sql", "false");
		p.put("hibernate.format_sql", "false");
		p.put("hibernate.jdbc.batch_size", "20");
		p.put("hibernate.cache.use_query_cache", "false");
		p.put("hibernate.cache.use_second_level_cache", "false");
		p.put("hibernate.cache.use_structured_entries", "false");
		p.put("hibernate.cache.use_minimal_puts", "false");
		// No full-text indexing (Lucene/Elasticsearch): plain SQL search only.
		p.put("hibernate.search.enabled", "false");
		return p;
	}

	@Bean
	@Primary
	public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
		JpaTransactionManager tm = new JpaTransactionManager();
		tm.setEntityManagerFactory(entityManagerFactory);
		return tm;
	}

	/** The FHIR REST endpoint; {@link LnCdsHapiServer} mounts it in Jetty. */
	@Bean
	public RestfulServer restfulServer(
			ServerSettings settings,
			FhirContext fhirContext,
			ResourceProviderFactory resourceProviderFactory,
			JpaSystemProvider<Bundle, Meta> systemProvider,
			IFhirSystemDao<Bundle, Meta> systemDao,
			JpaStorageSettings storageSettings,
			ISearchParamRegistry searchParamRegistry,
			IValidationSupport validationSupport,
			DatabaseBackedPagingProvider pagingProvider) {
		fhirContext.setNarrativeGenerator(new NullNarrativeGenerator());

		RestfulServer server = new RestfulServer(fhirContext);
		server.registerProviders(resourceProviderFactory.createProviders());
		server.registerProvider(systemProvider);
		JpaCapabilityStatementProvider capabilities = new JpaCapabilityStatementProvider(
				server, systemDao, storageSettings, searchParamRegistry, validationSupport);
		capabilities.setImplementationDescription("ln-cds HAPI FHIR R4 test server (in-memory)");
		server.setServerConformanceProvider(capabilities);

		pagingProvider.setDefaultPageSize(settings.defaultPageSize());
		pagingProvider.setMaximumPageSize(settings.maxPageSize());
		server.setPagingProvider(pagingProvider);

		server.setDefaultResponseEncoding(EncodingEnum.JSON);
		server.setServerAddressStrategy(new IncomingRequestAddressStrategy());

		if (settings.requestLog()) {
			LoggingInterceptor requestLog = new LoggingInterceptor();
			requestLog.setLoggerName("lncds.hapi.access");
			requestLog.setMessageFormat(
					"${requestVerb} ${requestUrl}${requestParameters} -> ${operationType} ${operationName} ${idOrResourceName} in ${processingTimeMillis}ms");
			requestLog.setErrorMessageFormat("ERROR ${requestVerb} ${requestUrl}${requestParameters}: ${exceptionMessage}");
			requestLog.setLogExceptions(true);
			server.registerInterceptor(requestLog);
		}
		return server;
	}
}
