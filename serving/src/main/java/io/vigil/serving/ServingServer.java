package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.DjlRuntime;
import io.vigil.registry.client.ClientSettings;
import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.registry.client.RegistryClient;
import io.vigil.schemas.inference.GRPCInferenceServiceGrpc;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving process, wired by hand: gRPC transport with the inference service, gRPC health
 * (SERVING only once a model is loaded) and reflection; the model manager with alias polling and
 * model-event following; the prediction log; {@code /metrics} and {@code /health} over HTTP.
 * {@link #close()} stops in reverse order: health to NOT_SERVING, {@code shutdown()}, {@code
 * awaitTermination(grace)}, {@code shutdownNow()}, then models, log and HTTP.
 */
public final class ServingServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ServingServer.class);
  /** gRPC health service name that reports whether the last model update worked. */
  public static final String MODEL_UPDATES_HEALTH = "vigil.serving.ModelUpdates";

  private final ServingConfig config;
  private final Server server;
  private final HealthStatusManager health;
  private final ModelManager models;
  private final PredictionSink sink;
  private final ServingMetrics metrics;
  private final ThreadPoolExecutor executor;
  private final ScheduledExecutorService poller;
  private final List<AutoCloseable> extras;
  private final HealthEndpoint http;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private ServingServer(ServingConfig config, Server server, HealthStatusManager health,
      ModelManager models, PredictionSink sink, ServingMetrics metrics, ThreadPoolExecutor executor,
      ScheduledExecutorService poller, List<AutoCloseable> extras, HealthEndpoint http) {
    this.config = config;
    this.server = server;
    this.health = health;
    this.models = models;
    this.sink = sink;
    this.metrics = metrics;
    this.executor = executor;
    this.poller = poller;
    this.extras = extras;
    this.http = http;
  }

  /**
   * Parts a caller may supply; null fields are built from the configuration. A given {@code
   * transport} (e.g. in-process) is used as is: the keepalive policy and TLS of the configuration
   * apply to the Netty transport built from it. {@code interceptors} run after authentication.
   */
  public record Parts(ModelSource source, PredictionSink sink, ServerBuilder<?> transport,
      ServingMetrics metrics, Clock clock, List<ServerInterceptor> interceptors) {
    public Parts {
      interceptors = interceptors == null ? List.of() : List.copyOf(interceptors);
    }

    public Parts(ModelSource source, PredictionSink sink, ServerBuilder<?> transport,
        ServingMetrics metrics, Clock clock) {
      this(source, sink, transport, metrics, clock, List.of());
    }
  }

  /** Everything from the configuration: registry client, Kafka, Netty on {@code grpc.host:port}. */
  public static ServingServer start(ServingConfig config) {
    return start(config, new Parts(null, null, null, null, null));
  }

  public static ServingServer start(ServingConfig config, Parts parts) {
    requireNonNull(config, "config");
    DjlRuntime.applyCpuDefaults();
    Clock clock = parts.clock() == null ? Clock.systemUTC() : parts.clock();
    List<AutoCloseable> extras = new ArrayList<>();
    ServingMetrics metrics = parts.metrics();
    if (metrics == null) {
      PrometheusRegistry registry = new PrometheusRegistry();
      JvmMetrics.builder().register(registry);
      metrics = new ServingMetrics(registry);
    }
    ModelSource source = parts.source();
    if (source == null) {
      ServingConfig.Registry r = config.registry();
      RegistryClient client = new RegistryClient(new ClientSettings(r.trackingUri(), null, null, null,
          r.s3Endpoint(), r.s3AccessKey(), r.s3SecretKey(), r.s3Region(),
          io.vigil.registry.client.RetryPolicy.defaults(), Duration.ofSeconds(30)),
          ModelEventPublisher.discarding(), clock);
      extras.add(client);
      source = new RegistryModelSource(client);
    }
    ServingConfig.Kafka k = config.kafka();
    PredictionSink sink = parts.sink();
    if (sink == null) {
      sink = k.enabled()
          ? KafkaPredictionSink.create(k.bootstrapServers(), k.predictionsTopic(), k.logBufferSize(), metrics)
          : PredictionSink.NONE;
    }
    HealthStatusManager health = new HealthStatusManager();
    String service = GRPCInferenceServiceGrpc.SERVICE_NAME;
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
    health.setStatus(service, ServingStatus.NOT_SERVING);
    health.setStatus(MODEL_UPDATES_HEALTH, ServingStatus.SERVING);
    ModelManager.Listener listener = new ModelManager.Listener() {
      @Override
      public void serving(ModelManager.Role role, ModelId id) {
        if (role == ModelManager.Role.PRIMARY) {
          health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
          health.setStatus(service, ServingStatus.SERVING);
        }
        health.setStatus(MODEL_UPDATES_HEALTH, ServingStatus.SERVING);
      }

      @Override
      public void loadFailed(ModelManager.LoadFailure failure) {
        health.setStatus(MODEL_UPDATES_HEALTH, ServingStatus.NOT_SERVING);
      }
    };
    ModelManager models = new ModelManager(config.model(), DynamicBatcher.Settings.of(config.batching()),
        source, metrics, listener, clock);
    InferenceService inference = new InferenceService(models, sink, metrics,
        config.batching().maxBatchSize(), version(), clock);

    ServingConfig.Grpc g = config.grpc();
    ThreadPoolExecutor executor = handlerExecutor(g);
    ServerBuilder<?> transport = parts.transport() != null ? parts.transport() : netty(config);
    List<ServerInterceptor> interceptors = new ArrayList<>(parts.interceptors());
    List<String> tokens = config.security().tokenList();
    if (!tokens.isEmpty()) {
      // the last interceptor added runs first
      interceptors.add(new BearerTokenInterceptor(tokens, metrics));
    }
    metrics.queueDepth(models);
    Server server = withHandlers(transport, executor)
        .maxInboundMessageSize(g.maxMessageBytes())
        .addService(ServerInterceptors.intercept(inference.serviceDefinition(), withTraceContext(interceptors)))
        .addService(ServerInterceptors.intercept(health.getHealthService(), interceptors))
        .addService(ServerInterceptors.intercept(ProtoReflectionServiceV1.newInstance(), interceptors))
        .addService(ServerInterceptors.intercept(reflectionV1Alpha(), interceptors))
        .build();
    try {
      server.start();
    } catch (IOException e) {
      if (executor != null) {
        executor.shutdownNow();
      }
      models.close();
      sink.close();
      throw new UncheckedIOException("cannot start gRPC on " + g.host() + ":" + g.port(), e);
    }
    LOG.info("gRPC listening port={} security={} model={} alias={} version={} shadow={} batching={}",
        server.getPort(), config.security(), config.model().name(), config.model().alias(), config.model().version(),
        config.model().shadowAlias(), config.batching());
    if (k.enabled()) {
      // follow the model events before the aliases are first read, so that no move falls between
      AliasWatcher watcher = AliasWatcher.create(k.bootstrapServers(), k.modelEventsTopic(),
          config.model().name(), models::requestRefresh);
      extras.add(watcher);
      try {
        if (!watcher.awaitPositioned(Duration.ofSeconds(5))) {
          LOG.warn("model events not followed yet (Kafka unreachable); the aliases are polled every {} s",
              config.model().pollIntervalSeconds());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    models.refresh();
    ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "alias-poll");
      t.setDaemon(true);
      return t;
    });
    long every = config.model().pollInterval().toMillis();
    poller.scheduleWithFixedDelay(models::requestRefresh, every, every, TimeUnit.MILLISECONDS);
    HealthEndpoint http = config.metrics().enabled()
        ? new HealthEndpoint(config.metrics().host(), config.metrics().port(), metrics, models) : null;
    return new ServingServer(config, server, health, models, sink, metrics, executor, poller, extras, http);
  }

  /**
   * The inference service's interceptors: the given ones, and last of all (after authentication)
   * the one that takes the caller's trace context into the call.
   */
  private static List<ServerInterceptor> withTraceContext(List<ServerInterceptor> interceptors) {
    List<ServerInterceptor> out = new ArrayList<>();
    out.add(new TraceContextInterceptor()); // the last interceptor added runs first: this one last
    out.addAll(interceptors);
    return out;
  }

  /**
   * The bounded executor that runs the gRPC handlers ({@code grpc.executorThreads/Queue}), or null
   * when {@code grpc.executorThreads} is 0: the handlers then run on the transport's threads.
   */
  public static ThreadPoolExecutor handlerExecutor(ServingConfig.Grpc g) {
    if (g.executorThreads() == 0) {
      return null;
    }
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(g.executorThreads(), g.executorThreads(),
        60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(g.executorQueue()), r -> {
          Thread t = new Thread(r, "grpc-handler-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /**
   * Handlers on {@code executor}, or with a null one on the thread that read the call (Netty's
   * event loop): no hand-off to another thread and back per call. Safe because no handler blocks:
   * ModelInfer validates, decodes and queues its rows (the bounded batching queue refuses what does
   * not fit), and the answer is written from the batch worker.
   */
  public static ServerBuilder<?> withHandlers(ServerBuilder<?> transport, ThreadPoolExecutor executor) {
    return executor == null ? transport.directExecutor() : transport.executor(executor);
  }

  /**
   * Server reflection under its first name, {@code grpc.reflection.v1alpha}: deprecated, but the
   * name that older clients (grpcurl before 1.8.8, many IDE plugins) still ask for first.
   */
  @SuppressWarnings("deprecation")
  private static io.grpc.BindableService reflectionV1Alpha() {
    return io.grpc.protobuf.services.ProtoReflectionService.newInstance();
  }

  /**
   * Netty on {@code grpc.host:port} with the keepalive policy and, when configured, TLS: the
   * transport of {@link #start(ServingConfig)} (also used by the benchmark's transport-only server).
   */
  public static NettyServerBuilder netty(ServingConfig config) {
    ServingConfig.Grpc g = config.grpc();
    ServingConfig.Keepalive k = config.keepalive();
    ServingConfig.Security sec = config.security();
    NettyServerBuilder b;
    if (sec.tls()) {
      ServerCredentials tls;
      try {
        tls = TlsServerCredentials.create(new File(sec.tlsCertFile()), new File(sec.tlsKeyFile()));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read security.tlsCertFile or security.tlsKeyFile", e);
      }
      b = NettyServerBuilder.forAddress(new InetSocketAddress(g.host(), g.port()), tls);
    } else {
      b = NettyServerBuilder.forAddress(new InetSocketAddress(g.host(), g.port()));
    }
    b.flowControlWindow(g.flowControlWindowBytes());
    b.keepAliveTime(k.timeSeconds(), TimeUnit.SECONDS)
        .keepAliveTimeout(k.timeoutSeconds(), TimeUnit.SECONDS)
        .permitKeepAliveTime(k.permitTimeSeconds(), TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(k.permitWithoutCalls());
    if (k.maxConnectionIdleSeconds() > 0) {
      b.maxConnectionIdle(k.maxConnectionIdleSeconds(), TimeUnit.SECONDS);
    }
    if (k.maxConnectionAgeSeconds() > 0) {
      b.maxConnectionAge(k.maxConnectionAgeSeconds(), TimeUnit.SECONDS)
          .maxConnectionAgeGrace(k.maxConnectionAgeGraceSeconds(), TimeUnit.SECONDS);
    }
    return b;
  }

  public int port() {
    return server.getPort();
  }

  public int metricsPort() {
    return http == null ? -1 : http.port();
  }

  public ModelManager models() {
    return models;
  }

  public ServingMetrics metrics() {
    return metrics;
  }

  public ServingConfig config() {
    return config;
  }

  /** True once {@link #close()} has begun and the transport refuses new calls. */
  public boolean stopping() {
    return server.isShutdown();
  }

  /** Blocks until the server has terminated (e.g. from a shutdown hook). */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  private static String version() {
    String v = ServingServer.class.getPackage().getImplementationVersion();
    return v == null ? "development" : v;
  }

  /** Stops everything, in order; a second call does nothing. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    health.enterTerminalState();
    server.shutdown();
    try {
      if (!server.awaitTermination(config.grpc().shutdownGraceSeconds(), TimeUnit.SECONDS)) {
        LOG.warn("gRPC calls still running after {} s; cancelling them", config.grpc().shutdownGraceSeconds());
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    poller.shutdownNow();
    for (int i = extras.size() - 1; i >= 0; i--) {
      try {
        extras.get(i).close();
      } catch (Exception e) {
        LOG.warn("error while closing {}: {}", extras.get(i).getClass().getSimpleName(), e.toString());
      }
    }
    models.close();
    sink.close();
    if (executor != null) {
      executor.shutdown();
    }
    if (http != null) {
      http.close();
    }
    LOG.info("serving stopped");
  }
}
