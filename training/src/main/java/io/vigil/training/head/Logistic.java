package io.vigil.training.head;

/**
 * Weighted, L2-penalised logistic regression fitted by Newton's method: small, exact and
 * deterministic (no random start, no mini-batches), which is all a head of a few inputs needs.
 */
final class Logistic {

  private Logistic() {}

  /**
   * Minimises {@code sum_i w_i * logloss(y_i, sigmoid(b + x_i . beta)) + l2/2 * |beta|^2} over
   * {@code beta} and the unpenalised intercept {@code b}.
   *
   * @param x row-major {@code n x d}
   * @param target per row, in [0, 1] (Platt's smoothed targets are allowed)
   * @param weight per row, > 0
   * @return {@code d} weights followed by the intercept
   */
  static double[] fit(double[] x, int n, int d, double[] target, double[] weight, double l2, int maxIterations) {
    int m = d + 1;
    double[] theta = new double[m];
    double[] grad = new double[m];
    double[][] hess = new double[m][m];
    double[] row = new double[m];
    for (int it = 0; it < maxIterations; it++) {
      java.util.Arrays.fill(grad, 0);
      for (double[] h : hess) {
        java.util.Arrays.fill(h, 0);
      }
      for (int i = 0; i < n; i++) {
        System.arraycopy(x, i * d, row, 0, d);
        row[d] = 1;
        double z = 0;
        for (int j = 0; j < m; j++) {
          z += theta[j] * row[j];
        }
        double p = sigmoid(z);
        double g = weight[i] * (p - target[i]);
        double h = weight[i] * Math.max(p * (1 - p), 1e-12);
        for (int j = 0; j < m; j++) {
          grad[j] += g * row[j];
          for (int k = 0; k <= j; k++) {
            hess[j][k] += h * row[j] * row[k];
          }
        }
      }
      for (int j = 0; j < m; j++) {
        for (int k = 0; k < j; k++) {
          hess[k][j] = hess[j][k];
        }
        if (j < d) {
          grad[j] += l2 * theta[j];
          hess[j][j] += l2;
        }
        hess[j][j] += 1e-9; // keeps a separable or constant column solvable
      }
      double[] step = solve(hess, grad);
      double size = 0;
      for (int j = 0; j < m; j++) {
        theta[j] -= step[j];
        size = Math.max(size, Math.abs(step[j]));
      }
      if (size < 1e-10) {
        break;
      }
    }
    return theta;
  }

  static double sigmoid(double z) {
    return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  }

  /** Solves {@code a x = b} by Gaussian elimination with partial pivoting (a and b are copied). */
  static double[] solve(double[][] a, double[] b) {
    int n = b.length;
    double[][] m = new double[n][];
    for (int i = 0; i < n; i++) {
      m[i] = java.util.Arrays.copyOf(a[i], n + 1);
      m[i][n] = b[i];
    }
    for (int c = 0; c < n; c++) {
      int pivot = c;
      for (int r = c + 1; r < n; r++) {
        if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) {
          pivot = r;
        }
      }
      double[] t = m[c];
      m[c] = m[pivot];
      m[pivot] = t;
      if (Math.abs(m[c][c]) < 1e-300) {
        continue;
      }
      for (int r = c + 1; r < n; r++) {
        double f = m[r][c] / m[c][c];
        for (int k = c; k <= n; k++) {
          m[r][k] -= f * m[c][k];
        }
      }
    }
    double[] x = new double[n];
    for (int r = n - 1; r >= 0; r--) {
      double s = m[r][n];
      for (int k = r + 1; k < n; k++) {
        s -= m[r][k] * x[k];
      }
      x[r] = Math.abs(m[r][r]) < 1e-300 ? 0 : s / m[r][r];
    }
    return x;
  }
}
