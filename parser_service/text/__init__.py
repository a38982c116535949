"""Text in code: normalising values (dates, amounts, names), the spans a document's text
holds (dates, amounts, labels, codes: the candidates a field may copy), and its language."""
