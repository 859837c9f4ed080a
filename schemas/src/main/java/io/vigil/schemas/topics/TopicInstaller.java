package io.vigil.schemas.topics;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the loop's topics that are missing, with their partitions and configs. Idempotent. */
public final class TopicInstaller {

  private static final Logger LOG = LoggerFactory.getLogger(TopicInstaller.class);

  private final Admin admin;
  private final TopicNames names;
  private final short replicationFactor;

  public TopicInstaller(Admin admin, TopicNames names, short replicationFactor) {
    this.admin = requireNonNull(admin, "admin");
    this.names = requireNonNull(names, "names");
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replication factor must be >= 1: " + replicationFactor);
    }
    this.replicationFactor = replicationFactor;
  }

  /** Creates every missing topic; returns the names it created. */
  public List<String> ensureAll() {
    try {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (VigilTopic t : VigilTopic.values()) {
        String name = names.name(t);
        if (!existing.contains(name)) {
          missing.add(new NewTopic(name, t.partitions(), replicationFactor).configs(t.configs()));
        }
      }
      List<String> created = new ArrayList<>();
      for (var entry : admin.createTopics(missing).values().entrySet()) {
        try {
          entry.getValue().get(30, TimeUnit.SECONDS);
          created.add(entry.getKey());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException(
                "cannot create topic " + entry.getKey() + ": " + e.getCause().getMessage(), e);
          }
        }
      }
      if (!created.isEmpty()) {
        LOG.info("created topics {}", created);
      }
      return created;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot list topics: " + e.getMessage(), e);
    }
  }
}
