// msgpackr loads msgpackr-extract inside try/catch and uses its JavaScript decoder when it throws.
throw new Error('msgpackr-extract is not installed in this build; msgpackr uses its JavaScript path');
