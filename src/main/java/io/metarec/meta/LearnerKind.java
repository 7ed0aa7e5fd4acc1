package io.metarec.meta;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The learners, by the names the command line, saved models and reports use: the one list of
 * names, their order (the order of tables and of {@code --algo all}), the defaults and the help
 * text. Both the recommendation path ({@code rec.train.Learners}) and the sinusoid benchmark build
 * their learners from it.
 */
public enum LearnerKind {
    /** MAML (Finn et al. 2017), second-order meta-gradients. */
    MAML("maml", Order.SECOND_ORDER, "MAML, second order"),
    /** First-order MAML: MAML without the second-order term. */
    FOMAML("fomaml", Order.FIRST_ORDER, "first-order MAML"),
    /** Reptile (Nichol et al. 2018): the outer step follows θ − φ after several inner steps. */
    REPTILE("reptile", Order.SECOND_ORDER, "Reptile"),
    /** Meta-SGD (Li et al. 2017): learned per-element inner learning rates. */
    METASGD("metasgd", Order.SECOND_ORDER, "Meta-SGD, learned per-element inner rates"),
    /** Meta-LSTM (Ravi &amp; Larochelle 2017): an LSTM optimizer; first order through the gradient, as the paper. */
    METALSTM("metalstm", Order.FIRST_ORDER, "Meta-LSTM, an LSTM as the inner optimizer"),
    /** LEO (Rusu et al. 2019): inner steps in a latent space decoded into the adapted weights. */
    LEO("leo", Order.SECOND_ORDER, "LEO, latent embedding optimisation"),
    /** The baseline: one model trained on all tasks' examples (no inner loop), fine-tuned per task. */
    PRETRAINED("pretrained", Order.SECOND_ORDER, "the baseline: trained on every task's examples, fine-tuned per task");

    /** What {@code train} trains when no learner is named. */
    public static final LearnerKind DEFAULT = MAML;
    /** What {@code demo} trains by default: the two MAMLs and the baseline (the quick comparison). */
    public static final List<LearnerKind> QUICK = List.of(MAML, FOMAML, PRETRAINED);

    private final String cliName;
    private final Order order;
    private final String summary;

    LearnerKind(String cliName, Order order, String summary) {
        this.cliName = cliName;
        this.order = order;
        this.summary = summary;
    }

    /** The name on the command line, in saved models and in reports ("maml", "metalstm", …). */
    public String cliName() { return cliName; }

    /** The meta-gradient order the learner trains with (FOMAML and Meta-LSTM: first order). */
    public Order order() { return order; }

    /** A few words for help texts. */
    public String summary() { return summary; }

    /** Whether this is a meta-learner (every learner but the pretrained baseline). */
    public boolean isMeta() { return this != PRETRAINED; }

    /** Every learner, in table order. */
    public static List<LearnerKind> all() { return List.of(values()); }

    /** The meta-learners, in table order. */
    public static List<LearnerKind> metaLearners() {
        return Arrays.stream(values()).filter(LearnerKind::isMeta).toList();
    }

    /** The names of {@code kinds}. */
    public static List<String> names(List<LearnerKind> kinds) {
        return kinds.stream().map(LearnerKind::cliName).toList();
    }

    /** Every name, in table order. */
    public static List<String> names() { return names(all()); }

    /** The learner called {@code name} (case-insensitive; surrounding blanks ignored). */
    public static LearnerKind parse(String name) {
        String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        for (LearnerKind k : values()) if (k.cliName.equals(n)) return k;
        throw new IllegalArgumentException("unknown algorithm '" + name + "'; valid: " + String.join(", ", names()));
    }
}
