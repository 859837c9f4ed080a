package io.vigil.selection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QueryPolicyTest {

  private static final long MINUTE = 60_000;

  @Test
  void incidentIsOneRequestPlusFollowUpsAtGrowingIntervals() {
    QueryPolicy p = new QueryPolicy(Strategy.UNCERTAINTY, 0.5, 10, 10, 0, 0, new Budget.Unlimited());
    EntityQueryState s = new EntityQueryState();
    List<Integer> asked = new ArrayList<>();
    List<QueryKind> kinds = new ArrayList<>();
    for (int w = 0; w < 200; w++) {
      // every window is uncertain; anomalous 20..99
      Decision d = p.decide(s, 1.0, 1.0, w * MINUTE, new Random(1));
      if (d.ask()) {
        asked.add(w);
        kinds.add(d.kind());
        p.onAnswer(s, w >= 20 && w < 100, "inc-1");
      }
    }
    // 0, 10 normal; 20 opens; follow-ups after 10 (30), 20 (50), 40 (90), 80 (170: normal -> closed); then 180, 190
    assertThat(asked).containsExactly(0, 10, 20, 30, 50, 90, 170, 180, 190);
    assertThat(kinds.subList(3, 7)).containsOnly(QueryKind.INCIDENT_FOLLOW_UP);
    assertThat(kinds.get(2)).isEqualTo(QueryKind.UNCERTAIN);
    assertThat(s.incidentOpen).isFalse();
    assertThat(s.queries).isEqualTo(9);
  }

  @Test
  void uncertaintyIsWeightedAndCooledDown() {
    QueryPolicy p = new QueryPolicy(Strategy.UNCERTAINTY, 0.5, 5, 10, 0, 0, new Budget.Unlimited());
    EntityQueryState s = new EntityQueryState();
    assertThat(p.decide(s, 0.4, 1.0, 0, new Random(1)).ask()).isFalse();
    Decision d = p.decide(s, 0.4, 1.5, 0, new Random(1));
    assertThat(d.ask()).isTrue();
    assertThat(d.priority()).isCloseTo(0.6, org.assertj.core.data.Offset.offset(1e-12));
    for (int i = 0; i < 4; i++) {
      assertThat(p.decide(s, 1.0, 1.0, 0, new Random(1)).ask()).as("cool-down").isFalse();
    }
    assertThat(p.decide(s, 1.0, 1.0, 0, new Random(1)).ask()).isTrue();
  }

  @Test
  void pacedBudgetNeverRunsAhead() {
    QueryPolicy p = QueryPolicy.forEvaluation(Strategy.UNCERTAINTY, 10, 1000);
    EntityQueryState s = new EntityQueryState();
    for (int w = 0; w < 1000; w++) {
      p.decide(s, 1.0, 1.0, w, new Random(1));
      assertThat(s.queries).isLessThanOrEqualTo(Math.min(10, 10L * s.seen / 1000 + 5));
    }
    assertThat(s.queries).isEqualTo(10);
  }

  @Test
  void perHourBudgetRefillsOverEventTimeAndAuditsOnlyFromSurplus() {
    Budget.PerHour b = new Budget.PerHour(2, 4);
    QueryPolicy p = new QueryPolicy(Strategy.UNCERTAINTY, 0.5, 0, 10, 0, 0, b);
    EntityQueryState s = new EntityQueryState();
    int asked = 0;
    for (int m = 0; m < 60 * 10; m++) {
      if (p.decide(s, 1.0, 1.0, m * MINUTE, new Random(1)).ask()) {
        asked++;
      }
    }
    // a full bucket of 4, then 2 an hour for the ~10 hours
    assertThat(asked).isBetween(4 + 19, 4 + 20);

    EntityQueryState t = new EntityQueryState();
    t.tokens = 1;
    t.tokensAt = 0;
    assertThat(b.allows(t, QueryKind.UNCERTAIN, 0)).isTrue();
    assertThat(b.allows(t, QueryKind.AUDIT, 0)).as("audit needs half a bucket").isFalse();
    assertThat(b.allows(t, QueryKind.AUDIT, 3_600_000)).isTrue();
  }

  @Test
  void auditShareAsksAboutConfidentWindows() {
    QueryPolicy p = new QueryPolicy(Strategy.UNCERTAINTY, 0.5, 0, 10, 0, 0.1, new Budget.Unlimited());
    EntityQueryState s = new EntityQueryState();
    Random r = new Random(7);
    int audits = 0;
    for (int w = 0; w < 10_000; w++) {
      Decision d = p.decide(s, 0.0, 1.0, w, r);
      if (d.ask()) {
        assertThat(d.kind()).isEqualTo(QueryKind.AUDIT);
        assertThat(d.priority()).isLessThan(0.5);
        audits++;
      }
    }
    assertThat(audits).isBetween(850, 1150);
  }

  @Test
  void noneNeverAsksAndRandomAsksAtItsRate() {
    QueryPolicy none = QueryPolicy.forEvaluation(Strategy.NONE, 100, 1000);
    EntityQueryState s = new EntityQueryState();
    for (int w = 0; w < 1000; w++) {
      assertThat(none.decide(s, 1.0, 1.0, w, new Random(w)).ask()).isFalse();
    }
    QueryPolicy random = new QueryPolicy(Strategy.RANDOM, 0.5, 0, 10, 0.05, 0, new Budget.Unlimited());
    EntityQueryState r = new EntityQueryState();
    Random rnd = new Random(3);
    int n = 0;
    for (int w = 0; w < 10_000; w++) {
      if (random.decide(r, 0, 1.0, w, rnd).ask()) {
        n++;
        random.onAnswer(r, false, null);
      }
    }
    assertThat(n).isBetween(400, 600);
  }

  @Test
  void invalidSettingsAreRefused() {
    assertThatThrownBy(() -> new QueryPolicy(Strategy.RANDOM, 0.5, 0, 0, 0.1, 0, new Budget.Unlimited()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Budget.PerHour(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UncertaintyMeasure.ENTROPY.of(1.5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void uncertaintyMeasures() {
    for (UncertaintyMeasure m : UncertaintyMeasure.values()) {
      assertThat(m.of(0.5)).isEqualTo(1.0);
      assertThat(m.of(0)).isEqualTo(0.0);
      assertThat(m.of(1)).isEqualTo(0.0);
      assertThat(m.of(0.3)).isEqualTo(m.of(0.7), org.assertj.core.data.Offset.offset(1e-12));
    }
    assertThat(UncertaintyMeasure.LEAST_CONFIDENCE.of(0.8)).isCloseTo(0.4, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(UncertaintyMeasure.ENTROPY.of(0.25)).isCloseTo(0.811278, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(UncertaintyMeasure.ofScore(2, 2)).isEqualTo(1.0);
    assertThat(UncertaintyMeasure.ofScore(2 + Math.log(2), 2)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-12));
  }

  @Test
  void followUpGrowthSetsTheGapsBetweenFollowUps() {
    for (double g : new double[] {1.0, 2.0}) {
      QueryPolicy p = new QueryPolicy(Strategy.UNCERTAINTY, 0.5, 0, 10, g, 0, 0, new Budget.Unlimited());
      EntityQueryState s = new EntityQueryState();
      p.onAnswer(s, true, null);
      java.util.List<Long> at = new java.util.ArrayList<>();
      for (int w = 1; w <= 80; w++) {
        if (p.decide(s, 0, 1.0, w, new Random(1)).ask()) {
          at.add((long) w);
        }
      }
      assertThat(at).containsExactlyElementsOf(g == 1.0 ? java.util.List.of(10L, 20L, 30L, 40L, 50L, 60L, 70L, 80L)
          : java.util.List.of(10L, 30L, 70L));
    }
    assertThat(QueryPolicy.forEvaluation(Strategy.UNCERTAINTY, 100, 1000).followUpGrowth()).isEqualTo(1.0);
    assertThatThrownBy(() -> new QueryPolicy(Strategy.UNCERTAINTY, 0.5, 0, 10, 0.5, 0, 0, new Budget.Unlimited()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
