package io.vigil.cli.registry;

import io.vigil.cli.UserException;
import io.vigil.registry.client.AliasChange;
import io.vigil.registry.client.ClientSettings;
import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.client.RegistryException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vigil models}: look at registered models. */
@Command(name = "models", mixinStandardHelpOptions = true,
    description = "Look at registered models in the registry.",
    subcommands = {ModelsCommand.History.class})
public final class ModelsCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code vigil models history NAME}: who moved which alias to which version, newest first. */
  @Command(name = "history", mixinStandardHelpOptions = true,
      description = "Alias history of a model: which version held which alias when, who moved it and why"
          + " (newest first).")
  static final class History implements Callable<Integer> {

    private static final DateTimeFormatter TIME =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    @Spec CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "Registered model name.")
    String name;

    @Option(names = "--alias", paramLabel = "ALIAS", description = "Only this alias (e.g. champion).")
    String alias;

    @Option(names = "--registry", paramLabel = "URL", defaultValue = "http://127.0.0.1:5000",
        description = "Registry (MLflow tracking) URL. Default ${DEFAULT-VALUE}.")
    String registry;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token, if the registry requires one.")
    String token;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      ClientSettings settings = ClientSettings.of(registry, null, null, null);
      if (token != null) {
        settings = settings.withToken(token);
      }
      List<AliasChange> history;
      try (RegistryClient client = new RegistryClient(settings, ModelEventPublisher.discarding(), Clock.systemUTC())) {
        history = client.aliasHistory(name, alias);
      } catch (RegistryException e) {
        if (e.isNotFound()) {
          throw new UserException("no registered model '" + name + "' at " + registry);
        }
        throw new UserException("cannot read the alias history from " + registry + ": " + e.getMessage(), e);
      }
      if (history.isEmpty()) {
        out.println("no alias changes recorded for " + name + (alias == null ? "" : "@" + alias));
        out.flush();
        return 0;
      }
      out.printf(Locale.ROOT, "%-20s  %-12s  %-8s  %-8s  %-20s  %s%n", "TIME", "ALIAS", "VERSION", "FROM", "ACTOR", "REASON");
      for (AliasChange c : history) {
        out.printf(Locale.ROOT, "%-20s  %-12s  %-8s  %-8s  %-20s  %s%n", TIME.format(c.timestamp()), c.alias(),
            c.version().orElse("(removed)"), c.previousVersion().orElse("-"), c.actor(), c.reason().orElse(""));
      }
      out.flush();
      return 0;
    }
  }
}
