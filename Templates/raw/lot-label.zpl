^XA
^CI28
^PW812
^LL406
^FO30,30^A0N,40,40^FD{{product.description}}^FS
^FO30,90^A0N,30,30^FDLOT {{lot.number}}^FS
^FO30,130^A0N,30,30^FH^FDEXP {{lot.expiry | date: "dd.MM.yyyy"}}^FS
^FO30,180^BY2^BCN,100,Y,N,N^FD{{lot.number}}^FS
^PQ{{copies}}
^XZ
