#!/usr/bin/env python3
"""scikit-learn baseline on the exact folds written by `minsheng-nlp cv --folds-out`.

Classification: jieba words + char 1-3-gram TF-IDF (FeatureUnion) + LinearSVC, defaults.
Duplicates: char 2-3-gram TF-IDF cosine (fitted on the corpus), with the F1-best
threshold chosen on the training folds, as the Rust side does.

Prints one line per task in the same format as the Rust CLI.
"""
import argparse
import csv
import logging

import jieba
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC

jieba.setLogLevel(logging.WARNING)


def jieba_tokens(text):
    return jieba.lcut(text)


def read_folds(path):
    with open(path, encoding="utf-8") as f:
        return np.array([int(r["fold"]) for r in csv.DictReader(f)])


def classification(args):
    with open(args.data, encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r[args.label_column].strip()]
    texts = [r["title"] + "\n" + r["detail"] for r in rows]
    labels = np.array([r[args.label_column].strip() for r in rows])
    folds = read_folds(args.folds)
    assert len(folds) == len(rows), "fold file does not match the data"
    predicted = np.empty(len(rows), dtype=object)
    for k in sorted(set(folds)):
        train, test = folds != k, folds == k
        model = make_pipeline(
            make_union(
                TfidfVectorizer(tokenizer=jieba_tokens, token_pattern=None),
                TfidfVectorizer(analyzer="char", ngram_range=(1, 3)),
            ),
            LinearSVC(),
        )
        model.fit([t for t, m in zip(texts, train) if m], labels[train])
        predicted[test] = model.predict([t for t, m in zip(texts, test) if m])
    truth, guess = labels, predicted.astype(str)
    classes = sorted(set(truth), key=lambda c: (np.sum(truth == c), c))
    recall, precision = (
        precision_recall_fscore_support(truth, guess, labels=classes, zero_division=0)[i]
        for i in (1, 0)
    )
    for c, r, p in zip(classes, recall, precision):
        print(f"  class {c:<12} n={np.sum(truth == c):<4} recall={r:.3f} precision={p:.3f}")
    acc = accuracy_score(labels, predicted.astype(str))
    f1 = f1_score(labels, predicted.astype(str), average="macro")
    print(f"task={args.task} n={len(rows)} accuracy={acc:.3f} macro_f1={f1:.3f}")


def duplicates(args):
    with open(args.corpus, encoding="utf-8") as f:
        corpus = {(r["source"], r["id"]): r["title"] + "\n" + r["detail"] for r in csv.DictReader(f)}
    with open(args.data, encoding="utf-8") as f:
        pairs = list(csv.DictReader(f))
    keys = list(corpus)
    index = {k: i for i, k in enumerate(keys)}
    vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 3))
    matrix = vec.fit_transform([corpus[k] for k in keys])
    scores = np.array([
        matrix[index[(p["source"], p["id_a"])]].multiply(matrix[index[(p["source"], p["id_b"])]]).sum()
        for p in pairs
    ])
    truth = np.array([p["duplicate"].strip() == "1" for p in pairs])
    folds = read_folds(args.folds)
    predicted = np.zeros(len(pairs), dtype=bool)
    for k in sorted(set(folds)):
        train, test = folds != k, folds == k
        best = (-1.0, 0.5)
        for t in np.unique(scores[train]):
            p = scores[train] >= t
            f1 = precision_recall_fscore_support(truth[train], p, average="binary", zero_division=0)[2]
            if f1 > best[0]:
                best = (f1, t)
        predicted[test] = scores[test] >= best[1]
    p, r, f1, _ = precision_recall_fscore_support(truth, predicted, average="binary", zero_division=0)
    print(f"task=duplicates n={len(pairs)} precision={p:.3f} recall={r:.3f} f1={f1:.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", required=True)
    ap.add_argument("--task", required=True)
    ap.add_argument("--folds", required=True, help="row,fold CSV from minsheng-nlp cv --folds-out")
    ap.add_argument("--label-column")
    ap.add_argument("--corpus")
    args = ap.parse_args()
    args.label_column = args.label_column or args.task
    if args.task == "duplicates":
        duplicates(args)
    else:
        classification(args)


if __name__ == "__main__":
    main()
