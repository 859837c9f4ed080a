package io.vigil.labeling;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.vigil.labeling.auth.AuthService;
import io.vigil.labeling.auth.LoginLimiter;
import io.vigil.labeling.auth.Passwords;
import io.vigil.labeling.auth.Role;
import io.vigil.labeling.kafka.LabelRequestConsumer;
import io.vigil.labeling.kafka.OutboxRelay;
import io.vigil.labeling.models.MlflowRegistryClient;
import io.vigil.labeling.models.ModelService;
import io.vigil.labeling.models.RegistryClient;
import io.vigil.labeling.quality.QualityService;
import io.vigil.labeling.store.AuditLog;
import io.vigil.labeling.store.Database;
import io.vigil.labeling.store.LabelService;
import io.vigil.labeling.store.TaskQueue;
import io.vigil.labeling.web.WebApp;
import io.vigil.schemas.topics.VigilTopic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The labeling service, wired by hand: database, queue, label store, Kafka consumer and outbox
 * relay, the web app. {@link #start} returns once it serves; {@link #close} stops it gracefully
 * (HTTP first, so no new label is accepted, then the consumer, then the relay after its batch in
 * flight, then the pool).
 */
public final class LabelingServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LabelingServer.class);

  /** Replaceable parts: tests use their own clock, registry and crash points. */
  public record Options(LongSupplier clock, Optional<RegistryClient> registry,
      OutboxRelay.CrashPoints crashPoints, int passwordIterations) {
    public Options {
      requireNonNull(clock, "clock");
      requireNonNull(registry, "registry");
      requireNonNull(crashPoints, "crashPoints");
    }

    /** The system clock, the registry from config, no crash points. */
    public static Options production() {
      return new Options(System::currentTimeMillis, Optional.empty(), OutboxRelay.CrashPoints.NONE,
          Passwords.DEFAULT_ITERATIONS);
    }

    public Options withRegistry(RegistryClient r) {
      return new Options(clock, Optional.of(r), crashPoints, passwordIterations);
    }

    public Options withClock(LongSupplier c) {
      return new Options(c, registry, crashPoints, passwordIterations);
    }

    public Options withCrashPoints(OutboxRelay.CrashPoints c) {
      return new Options(clock, registry, c, passwordIterations);
    }

    public Options withPasswordIterations(int n) {
      return new Options(clock, registry, crashPoints, n);
    }
  }

  private final LabelingConfig config;
  private final Database db;
  private final TaskQueue queue;
  private final LabelService labels;
  private final AuthService auth;
  private final OutboxRelay relay;
  private final LabelRequestConsumer consumer;
  private final Javalin http;

  private LabelingServer(LabelingConfig config, Database db, TaskQueue queue, LabelService labels,
      AuthService auth, OutboxRelay relay, LabelRequestConsumer consumer, Javalin http) {
    this.config = config;
    this.db = db;
    this.queue = queue;
    this.labels = labels;
    this.auth = auth;
    this.relay = relay;
    this.consumer = consumer;
    this.http = http;
  }

  public static LabelingServer start(LabelingConfig config) {
    return start(config, Options.production());
  }

  public static LabelingServer start(LabelingConfig config, Options options) {
    config.security().requireSafe();
    LongSupplier clock = options.clock();
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      Database db = Database.open(config.db());
      opened.add(db);
      Metrics metrics = new Metrics();
      TaskQueue queue = new TaskQueue(db, clock, config.queue().leaseSeconds() * 1000L,
          config.queue().overlapShare(), config.queue().overlapAnnotators());
      LabelService labels = new LabelService(db, clock, config.kafka().labelsTopic(),
          config.queue().leaseSeconds() * 1000L);
      AuthService auth = new AuthService(db, new Passwords(options.passwordIterations()),
          config.security().sessionSecret(), config.security().sessionHours() * 3_600_000L, clock);
      LabelingConfig.Security sec = config.security();
      if (!sec.adminUser().isBlank()) {
        auth.ensureUser(sec.adminUser(), Role.ADMIN, sec.adminPassword());
      }
      if (!sec.annotatorUser().isBlank()) {
        auth.ensureUser(sec.annotatorUser(), Role.ANNOTATOR, sec.annotatorPassword());
      }
      Optional<RegistryClient> registry = options.registry().isPresent() ? options.registry()
          : config.registry().baseUrl().isEmpty() ? Optional.empty()
          : Optional.of(new MlflowRegistryClient(config.registry().baseUrl(),
              Duration.ofMillis(config.registry().timeoutMillis())));
      ModelService models = new ModelService(registry, db, config.registry().modelName(),
          config.kafka().modelEventsTopic(), clock);
      QualityService quality = new QualityService(labels, config.quality().excludeUnresolvedConflicts(),
          config.quality().minAnnotatorKappa());
      AuditLog audit = new AuditLog(db);

      OutboxRelay relay = null;
      LabelRequestConsumer consumer = null;
      LabelingConfig.Kafka k = config.kafka();
      if (k.enabled()) {
        ensureTopics(k);
        relay = new OutboxRelay(db, k.bootstrapServers(), k.transactionalId(), k.outboxMarkerTopic(),
            k.relayIntervalMillis(), clock, options.crashPoints(), metrics.outboxPublished::inc);
        relay.start();
        opened.add(relay);
        consumer = new LabelRequestConsumer(queue, k.bootstrapServers(), k.groupId(),
            k.labelRequestsTopic(), k.dlqTopic(), new LabelRequestConsumer.Listener() {
              @Override
              public void added() {
                metrics.requestsAdded.inc();
              }

              @Override
              public void duplicate() {
                metrics.requestsDuplicate.inc();
              }

              @Override
              public void deadLettered() {
                metrics.requestsDeadLettered.inc();
              }
            });
        consumer.start();
        opened.add(consumer);
      }
      OutboxRelay r = relay;
      LabelRequestConsumer cons = consumer;
      metrics.gauges(queue::openTasks, () -> r == null ? 0 : r.pending());
      LabelService wakingLabels = labels;
      WebApp web = new WebApp(new WebApp.Parts(auth, new LoginLimiter(sec.loginAttemptsPerMinute(), clock),
          queue, wakingLabels, quality, models, audit, metrics,
          () -> db.ping() && (r == null || r.healthy()) && (cons == null || cons.healthy()),
          config.server().secureCookies(), sec.sessionHours()), jsonMapper());
      Javalin http = web.create(config.server().shutdownGraceSeconds());
      if (relay != null) {
        // publish promptly: wake the relay after every successful change
        http.after("/api/*", ctx -> {
          if (ctx.statusCode() / 100 == 2 && !ctx.method().name().equals("GET")) {
            r.wake();
          }
        });
      }
      http.start(config.server().host(), config.server().port());
      LabelingServer server = new LabelingServer(config, db, queue, labels, auth, relay, consumer, http);
      LOG.info("labeling UI on {}", server.url());
      return server;
    } catch (RuntimeException e) {
      for (int i = opened.size() - 1; i >= 0; i--) {
        try {
          opened.get(i).close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  static ObjectMapper jsonMapper() {
    return new ObjectMapper().findAndRegisterModules();
  }

  /** Creates the topics the service uses when they are missing. */
  static void ensureTopics(LabelingConfig.Kafka k) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, k.bootstrapServers(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000))) {
      List<NewTopic> topics = List.of(
          new NewTopic(k.labelRequestsTopic(), VigilTopic.LABEL_REQUESTS.partitions(), (short) -1)
              .configs(VigilTopic.LABEL_REQUESTS.configs()),
          new NewTopic(k.labelsTopic(), VigilTopic.LABELS.partitions(), (short) -1)
              .configs(VigilTopic.LABELS.configs()),
          new NewTopic(k.modelEventsTopic(), VigilTopic.MODEL_EVENTS.partitions(), (short) -1)
              .configs(VigilTopic.MODEL_EVENTS.configs()),
          new NewTopic(k.dlqTopic(), 1, (short) -1).configs(Map.of("retention.ms", "2592000000")),
          new NewTopic(k.outboxMarkerTopic(), 1, (short) -1).configs(Map.of("cleanup.policy", "compact")));
      for (NewTopic t : topics) {
        try {
          admin.createTopics(List.of(t)).all().get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + t.name() + " on Kafka at "
                + k.bootstrapServers() + ": " + e.getCause().getMessage(), e);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
  }

  public int port() {
    return http.port();
  }

  public String url() {
    String host = config.server().host();
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
  }

  public TaskQueue queue() {
    return queue;
  }

  public LabelService labels() {
    return labels;
  }

  public AuthService auth() {
    return auth;
  }

  public Database database() {
    return db;
  }

  /** The outbox relay, when Kafka is enabled. */
  public Optional<OutboxRelay> relay() {
    return Optional.ofNullable(relay);
  }

  @Override
  public void close() {
    LOG.info("labeling UI stopping");
    http.stop();
    if (consumer != null) {
      consumer.close();
    }
    if (relay != null) {
      relay.close();
    }
    db.close();
    LOG.info("labeling UI stopped");
  }
}
