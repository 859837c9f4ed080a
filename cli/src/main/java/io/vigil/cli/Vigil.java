package io.vigil.cli;

import io.vigil.cli.bench.BenchCommand;
import io.vigil.cli.replay.ReplayCommand;
import io.vigil.cli.up.UpCommand;
import io.vigil.config.ConfigException;
import io.vigil.datasets.DatasetException;
import io.vigil.cli.replay.ReplayException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vigil} launcher. Every command hangs off this one; {@code --help} works everywhere. */
@Command(
    name = "vigil",
    mixinStandardHelpOptions = true,
    versionProvider = Vigil.Version.class,
    description = "Vigil: streaming MLOps for AIOps — telemetry, features, models, drift, labels, retraining.",
    subcommands = {
      UpCommand.class,
      io.vigil.cli.loop.TraceCommand.class,
      ReplayCommand.class,
      SubmitCommand.class,
      ConfigCommand.class,
      BenchCommand.class,
      io.vigil.cli.registry.RegistryCommand.class,
      io.vigil.cli.registry.ModelsCommand.class,
      io.vigil.cli.labeling.LabelingCommand.class,
      io.vigil.cli.serving.ServeCommand.class,
      io.vigil.cli.training.TrainCommand.class, io.vigil.cli.training.EvalCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Vigil implements Runnable {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Vigil.class);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line; tests run commands through it. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Vigil());
    cl.setExecutionExceptionHandler(Vigil::handle);
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** User errors get one clear line and exit code 2; anything else is a bug: exit 1 with the trace. */
  private static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
    PrintWriter err = cl.getErr();
    String name = cl.getCommandSpec().qualifiedName();
    if (e instanceof ConfigException || e instanceof DatasetException
        || e instanceof ReplayException || e instanceof UserException
        || e instanceof IllegalArgumentException) {
      err.println(cl.getColorScheme().errorText(name + ": " + e.getMessage()));
      err.flush();
      return 2;
    }
    err.println(name + ": internal error: " + e + " (details in the log)");
    err.flush();
    LOG.error("{} failed", name, e);
    return 1;
  }

  /** The version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Vigil.class.getPackage().getImplementationVersion();
      return new String[] {"vigil " + (v == null ? "development build" : v),
          "Java " + System.getProperty("java.version")};
    }
  }
}
